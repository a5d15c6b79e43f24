#!/bin/bash
# The team's stop-gap before mergewatch, as they ran it: ps every PERIOD
# seconds, kill -9 once the process's RSS is above the line. Ends when the
# process has gone (ps fails).
#   team-loop.sh PID LIMIT_KIB PERIOD
pid=$1 limit_kib=$2 period=$3
while rss=$(ps -o rss= -p "$pid"); do
	if [ "$rss" -gt "$limit_kib" ]; then
		kill -9 "$pid"
	fi
	sleep "$period"
done
