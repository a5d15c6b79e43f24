// A real Polars merge with nodejs-polars: write two parquet checkpoints,
// scan and join them, then either idle between phases (polling for the next
// checkpoint once a second, as a merge driver does; mode "idle") or hang the
// way the incident's job did, the main thread blocked for good on its own
// lock while Polars' pools and tokio runtime park (mode "hung").
// usage: node polars_merge.js idle|hung DIR
const pl = require('nodejs-polars');
const fs = require('fs');
const path = require('path');
const [mode, dir] = process.argv.slice(2);
const n = 100000;

function phase(i) {
	const ids = Array.from({ length: n }, (_, k) => k);
	const df = pl.DataFrame({ id: ids, v: ids.map((k) => k * i) });
	const file = path.join(dir, `part${i}.parquet`);
	df.writeParquet(file);
	const merged = pl.scanParquet(file).collectSync().join(df, { on: 'id' });
	console.log(`PROGRESS ${i}/3 rows ${merged.height}`);
}

phase(1);
if (mode === 'hung') {
	console.error('DEADLOCKED');
	Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
}
let polls = 0;
const timer = setInterval(() => {
	// the next checkpoint "arrives" after eight polls
	if (++polls < 8 && !fs.existsSync(path.join(dir, 'never'))) return;
	clearInterval(timer);
	phase(2);
	phase(3);
}, 1000);
