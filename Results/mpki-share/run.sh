#!/bin/sh
# The mpki-share study (Results/mpki-share/README.md): memcached-like linear-map accesses
# mixed with kernel-image, vmalloc-stack and user accesses, block vs pte mapping, per
# linear-map share. Writes mpki-share.csv next to this script; run from the repository
# root after `swift build -c release --scratch-path .build/bench --product bench`.
set -eu
here=$(dirname "$0")
bench=${BENCH:-.build/bench/release/bench}
out="$here/mpki-share.csv"
rm -f "$out"
# The non-linear rest is split 20 % image data/bss, 30 % vmalloc stacks, 50 % user pages.
for linear in 0.05 0.1 0.15 0.2 0.3 0.4 0.5 0.6 0.7 0.8 0.9 0.95 1.0; do
    set -- $(python3 -c "r = 1 - $linear; print(*(f'{x:.6g}' for x in (0.2 * r, 0.3 * r, 0.5 * r)))")
    # User memory: 1G of 4K pages, 1G of 2M THPs, 16G of 2M THPs.
    for user in "4K 1G" "2M 1G" "2M 16G"; do
        if [ "$linear" = 1.0 ]; then
            # No mix: one linear-only pair ends every curve.
            [ "$user" = "4K 1G" ] || continue
            mix=""
        else
            mix="--image-share $1 --vmalloc-share $2 --user-share $3 --user-page ${user% *} --user-bytes ${user#* }"
        fi
        part=$(mktemp)
        # shellcheck disable=SC2086
        "$bench" sweep --scenario tlb --trace memcached --mode block,pte $mix --jobs 1 --quiet --csv "$part" > /dev/null
        if [ -s "$out" ]; then tail -n +2 "$part" >> "$out"; else cat "$part" > "$out"; fi
        rm -f "$part"
    done
done
python3 "$here/plot.py" "$out" "$here/reduction.svg"
