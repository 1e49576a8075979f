#!/usr/bin/env bash
# The README's weight-format table for prose-llama-35m: for the llama.cpp GGUFs as read (f16 — the
# base —, q8_0, q4_0, q4_k_m) and for every packed family this build lists (`./launcher formats --specs --kind
# packed`, quantized from the f16 GGUF with `./launcher quantize`), the weight formats, bits per
# weight, file size, perplexity on each text (llama.cpp's method, context 256) and its change against
# the first row, decode tokens/s (`./launcher FILE speed`); then the GEMV GB/s of each format's
# kernel on an 11008×4096 matrix (11008 rows of 4096 columns: the issue's 4096×11008 in input×output order) against the read bandwidth of the same run (`./launcher bench-kernels`).
# Families merged later appear without editing this script.
#
#   examples/bench/formats-table.sh [options]
#     --base FILE        the first row, and the source of the quantized ones (default ../shared/models/prose-llama-35m/prose-llama-35m-f16.gguf)
#     --gguf "L ..."     more GGUF rows as read, the files ${base%-*}-L.gguf (default "q8_0 q4_0 q4_k_m"; "" for none)
#     --formats "S ..."  specs to quantize the base to (default: every packed one `launcher formats` lists)
#     --texts "F ..."    texts to score (default ../shared/data/wikitext-2-raw/wiki.test.raw and the TinyStories file)
#     --calib FILE       calibration text for quantize (default none: the evaluation texts would leak into it)
#     --ctx N            perplexity window (default 256)
#     --chunks N         score only the first N windows of each text (llama-perplexity --chunks; default all)
#     --threads N        compute threads (default: all CPUs)
#     --work DIR         where quantized files go (default ${TMPDIR:-/tmp}/isthmus-formats)
#     --no-kernels       skip the GEMV table
# A whole run on prose-llama-35m takes hours on two cores (each perplexity is minutes): run it on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/../.."

base=../shared/models/prose-llama-35m/prose-llama-35m-f16.gguf
gguf="q8_0 q4_0 q4_k_m"
formats=""
texts="../shared/data/wikitext-2-raw/wiki.test.raw ../shared/data/tinystories/tinystories_validation_first1000.txt"
calib=""
ctx=256
chunks=""
threads=""
work="${TMPDIR:-/tmp}/isthmus-formats"
kernels=1
while [ $# -gt 0 ]; do
  case "$1" in
    --base) base=$2; shift 2 ;;
    --gguf) gguf=$2; shift 2 ;;
    --formats) formats=$2; shift 2 ;;
    --texts) texts=$2; shift 2 ;;
    --calib) calib=$2; shift 2 ;;
    --ctx) ctx=$2; shift 2 ;;
    --chunks) chunks=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --no-kernels) kernels=0; shift ;;
    *) echo "formats-table.sh: unknown option $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done
[ -f "$base" ] || { echo "formats-table.sh: no $base (see --base)" >&2; exit 2; }
for t in $texts; do [ -f "$t" ] || { echo "formats-table.sh: no text $t (see --texts)" >&2; exit 2; }; done
mkdir -p "$work"
launcher() { ./launcher "$@" 2> >(grep -v -e '^WARNING: Using incubator' -e '^isthmus: building' >&2); }
thread_opt=${threads:+--threads $threads}
chunks_opt=${chunks:+--chunks $chunks}
[ -z "$formats" ] && formats=$(launcher formats --specs --kind packed)
calib_opt=${calib:+--calib $calib}

# rows: label|file
name=$(basename "$base")
prefix=""; [[ "$name" == *-* ]] && prefix="${name%-*}-"
rows=("$(basename "${name%.*}" | sed "s/^${prefix}//")|$base")
for g in $gguf; do
  f="$(dirname "$base")/$prefix$g.gguf"
  [ -f "$f" ] || { echo "formats-table.sh: no $f, row $g skipped" >&2; continue; }
  rows+=("$g|$f")
done
for s in $formats; do
  out="$work/${name%.*}-$s.safetensors"
  if [ ! -f "$out" ] || [ "$out" -ot "$base" ]; then
    echo "== quantize $s" >&2
    launcher quantize --model "$base" --format "$s" $calib_opt $thread_opt --out "$out" >&2
  fi
  rows+=("$s|$out")
done

# a field of the one-line JSON perplexity prints: a string ("...") or a number
json() { sed -n -e "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p" -e "t" -e "s/.*\"$1\":\\([-0-9.eE+]*\\).*/\\1/p"; }
header="| format | weights | bits/weight | file MB |"
rule="|---|---|---:|---:|"
for t in $texts; do header+=" ppl $(basename "$t") |"; rule+="---:|"; done
header+=" decode tok/s |"; rule+="---:|"
table=()
declare -A first
kernel_list=()
for row in "${rows[@]}"; do
  IFS='|' read -r label file <<<"$row"
  echo "== $label: perplexity and speed" >&2
  line="| $label |"
  weights=""; bits=""
  cells=""
  for t in $texts; do
    j=$(launcher "$file" perplexity --text "$t" --ctx "$ctx" $chunks_opt --json $thread_opt)
    ppl=$(echo "$j" | json ppl)
    weights=$(echo "$j" | json format)
    bits=$(echo "$j" | json bits_per_weight)
    key=$(basename "$t")
    if [ -z "${first[$key]:-}" ]; then
      first[$key]=$ppl
      cells+=" $(printf '%.2f' "$ppl") |"
    else
      cells+=" $(awk -v p="$ppl" -v f="${first[$key]}" 'BEGIN { printf "%.2f (%+.1f%%)", p, 100 * (p / f - 1) }') |"
    fi
  done
  size=$(awk -v b="$(stat -c %s "$file")" 'BEGIN { printf "%.1f", b / 1e6 }')
  decode=$(launcher "$file" speed --prompt-tokens 16 --gen-tokens 64 --repeat 3 $thread_opt \
    | sed -n 's/.*decode [0-9]* tokens: best \([0-9.]*\) tokens\/s.*/\1/p')
  table+=("$line ${weights//,/, } | $(printf '%.2f' "$bits") | $size |$cells ${decode:-?} |")
  kernel_list+=("${weights%%,*}") # the kernel of the format most of its weights are in
done

echo "Perplexity: llama.cpp's method, context $ctx${chunks:+, the first $chunks windows of each text}; changes against the first row. Packed formats quantized from $(basename "$base")${calib:+ with calibration on $(basename "$calib")}."
echo
echo "$header"
echo "$rule"
printf '%s\n' "${table[@]}"

if [ "$kernels" = 1 ]; then
  list=$(printf '%s\n' "${kernel_list[@]}" | awk '!seen[$0]++' | paste -sd, -)
  echo "== bench-kernels $list" >&2
  bench=$(launcher bench-kernels --formats "$list" $thread_opt)
  bw=$(echo "$bench" | sed -n 's/^read bandwidth.*: \([0-9.]*\) GB\/s.*/\1/p')
  echo
  echo "GEMV of an 11008×4096 matrix (11008 rows of 4096 columns); read bandwidth of the same run $bw GB/s at the start, and around each kernel as its row says:"
  echo
  echo "| kernel | bytes | µs/GEMV (median) | GB/s | read bandwidth around it, GB/s | % of read bandwidth | best GB/s | best % | GB/s from L2 (arithmetic alone) |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
  echo "$bench" | awk 'f && NF == 9 { printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8, $9 } /^format /{ f = 1 }'
  echo "$bench" | grep '^warning:' || true
fi
