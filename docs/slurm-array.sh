#!/usr/bin/env bash
# A corpus regression run split over a Slurm job array: task i runs shard i of 8 (see
# docs/corpus.md, "Sharding"), then one dependent job merges the results.
#
#   docs/slurm-array.sh submit     on the login node, from the repository: submits the
#                                  array and the merge job that waits for it
#   docs/slurm-array.sh merge      the merge alone (after the array has finished)
#
# Results go to $RESULTS (default: results/): shard-<i>.jsonl per task, slurm-*.out logs,
# merge.out with the failures and the "N passed, M failed" line, junit.xml.
#
# portcullis reads SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT itself (counting from
# SLURM_ARRAY_TASK_MIN, so --array=1-8 works too): no --shard needed. Each task runs one
# worker process per CPU it was given.
#
#SBATCH --job-name=portcullis-corpus
#SBATCH --array=0-7
#SBATCH --cpus-per-task=4
#SBATCH --mem=4G
#SBATCH --time=01:00:00
#SBATCH --output=results/slurm-%A_%a.out
set -uo pipefail

PORTCULLIS=${PORTCULLIS:-portcullis}
CORPUS=${CORPUS:-corpus}
RESULTS=${RESULTS:-results}

case ${1:-shard} in
submit)
    # Slurm opens the --output file before the script runs: the directory must exist.
    mkdir -p "$RESULTS"
    rm -f "$RESULTS"/shard-*.jsonl
    array=$(sbatch --parsable --output="$RESULTS/slurm-%A_%a.out" "$0") || exit 2
    # afterany: merge whatever the tasks ended with; exit status 1 from a task only means
    # that some of its corpus jobs failed, which the merge reports.
    sbatch --parsable --job-name=portcullis-corpus-merge --dependency="afterany:${array%%;*}" \
        --ntasks=1 --cpus-per-task=1 --time=00:10:00 --output="$RESULTS/merge.out" \
        --wrap="$(printf '%q ' "$0" merge)"
    echo "submitted array ${array%%;*}; results in $RESULTS/"
    ;;
shard)
    # Exit status: 0 all of this shard's jobs passed, 1 some failed (results still written),
    # 2 usage error.
    exec "$PORTCULLIS" corpus run "$CORPUS" \
        --jobs "${SLURM_CPUS_PER_TASK:-1}" \
        --job-timeout 5m \
        --results "$RESULTS/shard-${SLURM_ARRAY_TASK_ID:?not running in a job array}.jsonl"
    ;;
merge)
    shopt -s nullglob
    files=("$RESULTS"/shard-*.jsonl)
    if ((${#files[@]} == 0)); then
        echo "no results in $RESULTS/" >&2
        exit 2
    fi
    # A task that failed before writing its file (exit status 2) is missing here: say so,
    # since merge only counts what it is given.
    echo "merging ${#files[@]} results files"
    exec "$PORTCULLIS" corpus merge "${files[@]}" --junit "$RESULTS/junit.xml"
    ;;
*)
    echo "usage: $0 [submit|shard|merge]" >&2
    exit 2
    ;;
esac
