# dash: the POSIX shell language, builtins only (dash has no mkdir or rm, and the enclave
# has no /bin). $T is a scratch path prefix the runner names (the same string on both
# sides); files are "$T.name" in /tmp, the cwd.
set -u
cd /tmp || exit 9

echo "== variables and expansions"
v="hello world"; echo "${v#hello }" "${v%world}x" "${#v}" "${unset_var:-dflt}" "${v:+set}"
path=/a/b/c.tar.gz; echo "${path##*/}" "${path%%.*}" "${path%/*}"
x=7; echo $((x * 6)) $((x % 4)) $(( (x << 3) | 1 )) $((x > 3 && x < 10)) $((-x / 2))
set -- one "two three" four; echo $# "$2"; shift; echo "$@"; for a in "$@"; do echo "[$a]"; done
IFS=: ; set -- $(echo a:b::c); IFS=' '; echo $# "$3"
echo "== functions, local, return"
f() { local n=$1; [ "$n" -le 1 ] && { echo 1; return; }; echo $(( n * $(f $((n - 1))) )); }
echo "5! = $(f 5)"
g() { return 42; }; g; echo "g returned $?"
echo "== case, test, while, until"
for w in apple banana cherry 42 ''; do
  case $w in a*) echo "$w: a-word";; *an*) echo "$w: has an";; [0-9]*) echo "$w: number";; '') echo "empty";; *) echo "$w: other";; esac
done
i=0; while [ $i -lt 5 ]; do i=$((i + 1)); [ $i -eq 2 ] && continue; [ $i -eq 4 ] && break; echo "i=$i"; done
n=3; until [ $n -eq 0 ]; do printf '%d.' $n; n=$((n - 1)); done; echo
[ -z "" ] && [ -n x ] && [ abc = abc ] && [ 3 -ge 2 ] && ! [ a = b ] && echo "tests ok"
echo "== here-documents"
name=dash
cat_() { while IFS= read -r line; do echo "> $line"; done; }
cat_ <<EOT
hello $name
  indented $((1 + 2))
EOT
cat_ <<'EOT'
literal $name $((1+2))
EOT
cat_ <<-EOT
	tabs stripped
	EOT
echo "== command substitution"
a=$(echo inner $(echo nested)); echo "$a"
b=`echo backquotes`; echo "$b"
lines=$(printf 'l1\nl2\n\n\n'); echo "[$lines]"
echo "== subshells"
y=outer; (y=inner; echo "in: $y"; exit 3); echo "status $? y=$y"
( cd / && echo "sub pwd $(pwd)" ); [ "$(pwd)" = /tmp ] && echo "pwd kept"
{ echo grouped; echo braces; } | while read -r l; do echo "piped: $l"; done
echo "== redirections and files"
echo first > "$T.f1"; echo second >> "$T.f1"; exec 3< "$T.f1"; read -r l1 <&3; read -r l2 <&3; exec 3<&-; echo "$l1/$l2"
echo err 2>&1 >/dev/null 1>&2 | while read -r e; do echo "got $e"; done
{ echo to-stderr >&2; } 2> "$T.f2"; read -r e < "$T.f2"; echo "f2: $e"
: > "$T.empty"; [ -s "$T.empty" ] || echo "empty is empty"; [ -f "$T.f1" ] && [ -d . ] && [ ! -e "$T.nope" ] && echo "file tests ok"
set -C; (echo clobber > "$T.f1") 2>/dev/null || echo "noclobber refused"; set +C
echo "== pipelines"
printf '3\n1\n2\n' | { s=0; while read -r n; do s=$((s + n)); done; echo "sum $s"; }
false | true; echo "pipeline status $?"; true | false; echo "pipeline status $?"
! false; echo "negated $?"
echo "== set -e"
( set -e; echo before; false; echo "not reached" ); echo "set -e subshell: $?"
( set -e; false || echo "|| keeps going"; if false; then :; fi; echo "if keeps going" )
echo "== eval, getopts, printf"
cmd='echo evaluated $((2 + 2))'; eval "$cmd"
set -- -a -b val -c rest; OPTIND=1
while getopts ab:c o; do case $o in b) echo "opt b=$OPTARG";; *) echo "opt $o";; esac; done; shift $((OPTIND - 1)); echo "rest: $*"
printf '%5s|%-5s|%05d|%x|%o|%c|%%\n' ab cd 42 255 8 xyz
printf '%s\n' "a b" c
echo "== background jobs and wait"
( exit 5 ) & p1=$!
( echo "bg job runs" > "$T.bgout" ) & p2=$!
wait $p1; echo "wait p1: $?"
wait $p2; read -r l < "$T.bgout"; echo "$l"
sleepy() { i=0; while [ $i -lt 20000 ]; do i=$((i + 1)); done; }
sleepy & p3=$!; kill -TERM $p3; wait $p3; echo "killed job: $?"
wait; echo "wait all: $?"
echo "== umask, cd, exit status"
umask 027; umask; cd ..; cd - >/dev/null; [ "$(pwd)" = /tmp ] && echo "cd - ok"
command -v echo; type cd
sh_status() { return "$1"; }; sh_status 300; echo "status wraps: $?"
exit 7
