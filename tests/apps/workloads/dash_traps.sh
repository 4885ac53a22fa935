# dash: traps and signals (kill, wait and trap are builtins). $T: scratch path prefix.
cd /tmp || exit 9
trap 'echo "EXIT trap, status $?"' EXIT
trap 'echo "got USR1"' USR1
kill -USR1 $$; echo "after USR1"
trap 'n=$((n + 1))' USR2
n=0; for i in 1 2 3; do kill -USR2 $$; done; echo "USR2 seen $n times"
trap - USR2
trap '' INT; kill -INT $$; echo "INT ignored"
echo "== a child that traps HUP (it says when it is ready: no race)"
( trap 'echo "child got HUP"; exit 3' HUP; : > "$T.r1"; while :; do :; done ) & c=$!
until [ -e "$T.r1" ]; do :; done
kill -HUP $c; wait $c; echo "child status $?"
echo "== a child killed by a signal it does not catch"
( : > "$T.r2"; while :; do :; done ) & c=$!
until [ -e "$T.r2" ]; do :; done
kill -TERM $c; wait $c; echo "child status $?"
( : > "$T.r3"; while :; do :; done ) & c=$!
until [ -e "$T.r3" ]; do :; done
kill -9 $c; wait $c; echo "child status $?"
echo "== a subshell's own EXIT trap"
( trap 'echo "subshell EXIT"' EXIT; echo "in subshell"; exit 2 ); echo "status $?"
echo "== traps listed"
trap
echo "== kill -l and signal names"
kill -l 15; kill -l 130
echo "== errors"
kill -TERM 999999 2>/dev/null; echo "kill nonexistent: $?"
wait 999999 2>/dev/null; echo "wait unknown: $?"
false
