# busybox sh (ash) with its applets, run from itself (FEATURE_SH_STANDALONE). $T: scratch.
mkdir -p "$T" && cd "$T" || exit 9
echo "== ash extensions"
s="Hello, World"; echo "${s:7}" "${s:0:5}" "${s/World/ash}" "${s//l/L}"
arr="a b c"; for x in $arr; do printf '%s-' "$x"; done; echo
echo $((2 ** 10)) $((0x1f)) $((7 / 2)) $((-7 % 3))
[[ abc == a* ]] && echo "[[ ]] glob ok"
f() { local i; for i in 1 2 3; do echo "f$i"; done; }; f | while read -r l; do printf '%s ' "$l"; done; echo
echo "== here-document into applets"
cat <<EOT | tr a-z A-Z
shout $((6 * 7))
EOT
echo "== pipelines of applets"
seq 1 10 | awk '{ s += $1 } END { print "sum", s }'
seq 1 20 | grep 1 | wc -l
printf 'b\na\nc\na\n' | sort | uniq -c | sed 's/^ *//'
echo "one two three" | cut -d' ' -f2
yes x | head -n 3 | tr -d '\n'; echo
echo "== subshells, background, wait"
(exit 3); echo "status $?"
(echo bg > bg.txt) & wait $!; cat bg.txt
sleep 0 & wait; echo "waited"
echo "== redirections"
exec 4> fd4.txt; echo "via fd 4" >&4; exec 4>&-; cat fd4.txt
ls nope 2>/dev/null || echo "ls failed: $?"
echo "== traps"
trap 'echo "trapped USR1"' USR1; kill -USR1 $$
trap 'echo "bye"' EXIT
echo "== command -v, type"
command -v ls >/dev/null && echo "ls is an applet"
exit 0
