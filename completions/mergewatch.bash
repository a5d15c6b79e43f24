# bash completion for mergewatch(1)
#
# Installed as $(PREFIX)/share/bash-completion/completions/mergewatch, where
# bash-completion loads it on first use; or source it from ~/.bashrc.
# Self-contained: it uses bash-completion's helpers only where they exist
# (_command_offset, to complete the command after `run --`).

_mergewatch_pids()
{
	local p pids=()

	for p in /proc/[0-9]*; do
		pids+=("${p#/proc/}")
	done
	mapfile -t COMPREPLY < <(compgen -W "${pids[*]}" -- "$1")
}

# Plan files: *.ini (and directories to descend into); any file when no
# .ini matches, since a plan may be named anything.
_mergewatch_plans()
{
	local cur=$1

	compopt -o filenames 2>/dev/null
	mapfile -t COMPREPLY < <(compgen -f -X '!*.ini' -- "$cur"; compgen -d -- "$cur")
	if [ ${#COMPREPLY[@]} -eq 0 ]; then
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
	fi
}

_mergewatch_files()
{
	compopt -o filenames 2>/dev/null
	mapfile -t COMPREPLY < <(compgen -f -- "$1")
}

# Completes the value of option $1; returns 1 when $1 takes no value.
_mergewatch_value()
{
	local opt=$1 cur=$2

	case $opt in
	--on-deadlock)
		mapfile -t COMPREPLY < <(compgen -W "alert kill restart" -- "$cur")
		;;
	--webhook-format)
		mapfile -t COMPREPLY < <(compgen -W "slack discord teams mattermost generic" -- "$cur")
		;;
	--log|--webhook-url-file|--inputs|--metrics-file|--output|-o)
		_mergewatch_files "$cur"
		;;
	--swap-max)
		# SIZE: 50G, 512M, 1.5GiB, N% (of SwapTotal here) or unlimited
		mapfile -t COMPREPLY < <(compgen -W "unlimited" -- "$cur")
		;;
	--jobs)
		# N (1 to 256) or auto: as many pairs as memory_budget holds
		mapfile -t COMPREPLY < <(compgen -W "auto 1 2 4" -- "$cur")
		;;
	--timeout)
		# DUR: 250ms, 10s, 30m, 2h, or none
		mapfile -t COMPREPLY < <(compgen -W "none" -- "$cur")
		;;
	--kill-rss|--memory-max|--interval|--deadlock-window|--bloat-ratio)
		# a number the operator types: offer no files
		COMPREPLY=()
		;;
	*)
		return 1
		;;
	esac
	return 0
}

# How many arguments (not options, not option values) follow the command
# before word $1.
_mergewatch_positionals()
{
	local end=$1 i n=0 seen_cmd=0 w

	for ((i = 1; i < end; i++)); do
		w=${COMP_WORDS[i]}
		case $w in
		--log|--interval|--kill-rss|--memory-max|--swap-max|--timeout|\
		--bloat-ratio|--deadlock-window|--on-deadlock|--inputs|--rerun|\
		--webhook-url-file|--webhook-format|--metrics-file|--output|-o|\
		--jobs)
			i=$((i + 1))
			# --opt = value when '=' breaks words
			if [ "${COMP_WORDS[i]}" = "=" ]; then
				i=$((i + 1))
			fi
			;;
		-*|=)
			;;
		*)
			if [ $seen_cmd -eq 0 ]; then
				seen_cmd=1
			else
				n=$((n + 1))
			fi
			;;
		esac
	done
	echo $n
}

_mergewatch()
{
	local cur prev words cword
	local i cmd="" dashdash=0 opts

	COMPREPLY=()
	words=("${COMP_WORDS[@]}")
	cword=$COMP_CWORD
	cur=${words[cword]}
	prev=""
	[ "$cword" -gt 0 ] && prev=${words[cword-1]}

	# --opt=value: bash splits at '=' (COMP_WORDBREAKS), so the option is
	# two words back.
	if [ "$cur" = "=" ] && [ "$cword" -gt 0 ]; then
		_mergewatch_value "${words[cword-1]}" "" && return 0
	fi
	if [ "$prev" = "=" ] && [ "$cword" -gt 1 ]; then
		_mergewatch_value "${words[cword-2]}" "$cur" && return 0
	fi

	# The command, and whether `run --` has begun the job's command line.
	for ((i = 1; i < cword; i++)); do
		if [ -z "$cmd" ]; then
			case ${words[i]} in
			-*) ;;
			*) cmd=${words[i]} ;;
			esac
		elif [ "${words[i]}" = "--" ]; then
			dashdash=$i
			break
		fi
	done

	if [ "$dashdash" -gt 0 ]; then
		# The job's own command line: let its completion take over.
		if declare -F _command_offset >/dev/null; then
			_command_offset $((dashdash + 1))
		elif [ "$cword" -eq $((dashdash + 1)) ]; then
			mapfile -t COMPREPLY < <(compgen -c -- "$cur")
		else
			_mergewatch_files "$cur"
		fi
		return 0
	fi

	# --opt=value in one word, where '=' is not a word break.
	if [[ $cur == --*=* ]]; then
		local opt=${cur%%=*} j
		if _mergewatch_value "$opt" "${cur#*=}"; then
			for j in "${!COMPREPLY[@]}"; do
				COMPREPLY[j]="$opt=${COMPREPLY[j]}"
			done
		fi
		return 0
	fi
	_mergewatch_value "$prev" "$cur" && return 0

	if [ -z "$cmd" ]; then
		if [[ $cur == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W "--help --version" -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -W "run watch check demo report" -- "$cur")
		fi
		return 0
	fi

	# Options named after plan keys go with every command.
	opts="--kill-rss --memory-max --swap-max --timeout --bloat-ratio
	      --deadlock-window --on-deadlock --webhook-url-file --webhook-format"
	case $cmd in
	run)	opts="--headless --log --log-dir --metrics-file --interval --inputs --jobs --rerun $opts --help" ;;
	watch)	opts="--headless --log --log-dir --metrics-file --interval $opts --help" ;;
	check)	opts="--test-alert --jobs $opts --help" ;;
	demo)	opts="--headless --log --metrics-file --interval --jobs $opts --help" ;;
	report)	opts="--output -o --help" ;;
	*)	return 0 ;;
	esac
	if [[ $cur == -* ]]; then
		if [ "$cmd" = run ]; then
			opts="$opts --"
		fi
		mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
		return 0
	fi

	case $cmd in
	run|check)
		# One plan: nothing more once it is given.
		if [ "$(_mergewatch_positionals "$cword")" -eq 0 ]; then
			_mergewatch_plans "$cur"
		fi
		;;
	watch)
		_mergewatch_pids "$cur"
		;;
	report)
		# One log directory.
		if [ "$(_mergewatch_positionals "$cword")" -eq 0 ]; then
			mapfile -t COMPREPLY < <(compgen -d -- "$cur")
		fi
		;;
	esac
	return 0
}

complete -F _mergewatch mergewatch
