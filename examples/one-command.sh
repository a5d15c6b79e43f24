#!/bin/sh
# one-command.sh — one merge pair under mergewatch, with no plan file.
#
#   ./one-command.sh 07          merge checkpoints/pair07 into merged/pair07.parquet
#
# `mergewatch run -- COMMAND` makes a plan of one pair from the command line:
# the limits come from the options, the pair is named after the command
# ("python3"), its output goes to mergewatch-logs/python3.log in the current
# directory, and nothing is resumed (a second run runs it again). A one-pair
# plan has no verify or cleanup keys, so this script does both itself, and
# only when mergewatch says the pair is done (exit status 0).
#
# Environment: MERGE_DIR (default /data/merge), MERGEWATCH (the binary,
# default mergewatch from PATH), WEBHOOK_FILE (default /etc/mergewatch/webhook,
# used when it exists; MERGEWATCH_WEBHOOK_URL overrides it).
set -eu

pair=${1:?usage: $0 PAIR-NUMBER (e.g. 07)}
mergewatch=${MERGEWATCH:-mergewatch}
webhook_file=${WEBHOOK_FILE:-/etc/mergewatch/webhook}

cd "${MERGE_DIR:-/data/merge}"

set --
if [ -e "$webhook_file" ]; then
	set -- --webhook-url-file "$webhook_file" --webhook-format slack
fi

# Exit status: 0 done, 1 failed or killed, 2 bad options, 130/143 stopped by
# SIGINT/SIGTERM. With a terminal on stdin and stdout the dashboard shows;
# add --headless for the event log (JSON lines) on stdout instead.
status=0
"$mergewatch" run \
	--kill-rss 50G --memory-max 56G --swap-max 0 \
	--timeout 40m \
	--inputs "checkpoints/pair$pair/*.parquet" --bloat-ratio 4 \
	--deadlock-window 3m --on-deadlock kill \
	"$@" \
	-- python3 scripts/merge_with_polars.py --pair "$pair" || status=$?

if [ "$status" -ne 0 ]; then
	echo "pair $pair: mergewatch exited $status; checkpoints kept" \
	    "(see mergewatch-logs/python3.log and mergewatch-logs/events.jsonl)" >&2
	exit "$status"
fi

# Done: check the result, and only then delete the checkpoints.
if [ ! -s "merged/pair$pair.parquet" ]; then
	echo "pair $pair: merged/pair$pair.parquet is missing or empty; checkpoints kept" >&2
	exit 1
fi
python3 scripts/check_parquet.py "merged/pair$pair.parquet"
rm -rf -- "checkpoints/pair$pair"
echo "pair $pair: merged, verified, checkpoints removed"
