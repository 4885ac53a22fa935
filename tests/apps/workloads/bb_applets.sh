# busybox applets on files: ls, sort, awk, sed, grep, diff, find | xargs, tar, gzip, ...
# $T: scratch directory. Output holds no times, owners, inode numbers or directory sizes
# (tmpfs and ext4 differ there).
mkdir -p "$T" && cd "$T" || exit 9
mkdir -p d/sub d/empty
printf 'banana\napple\ncherry\napple\n' > d/fruits.txt
seq 1 500 > d/sub/nums.txt
printf 'line one\nline two\nline three\n' > d/a.txt
printf 'line one\nline 2\nline three\nline four\n' > d/b.txt
ln -s a.txt d/link
chmod 640 d/a.txt; chmod 755 d/sub
echo "== ls"
ls d; ls -a d | tr '\n' ' '; echo
ls -l d | awk 'NR > 1 { print $1, $2, ($1 ~ /^d/ ? "dir" : $5), $9, $10, $11 }'
ls -1R d
echo "== sort"
sort d/fruits.txt; sort -u d/fruits.txt | tr '\n' ,; echo
sort -rn d/sub/nums.txt | head -3; sort -t: -k2 -n <<EOT
x:10
y:9
z:100
EOT
echo "== awk"
awk -F: '{ n[$1] += $2 } END { for (k in n) print k, n[k] }' <<EOT | sort
a:1
b:2
a:3
EOT
awk 'BEGIN { printf "%.3f %d %s\n", atan2(1, 1) * 4, length("hello"), toupper("x"); split("a,b,c", p, ","); print p[3] }'
awk 'NR % 100 == 0 { print NR, $0 * 2 }' d/sub/nums.txt
echo "== sed"
sed -n '2p' d/fruits.txt; sed 's/a/A/g; /cherry/d' d/fruits.txt; sed -e '1i\
header' -e '$a\
footer' d/a.txt
sed -i 's/one/ONE/' d/a.txt; cat d/a.txt
echo "== grep"
grep -n apple d/fruits.txt; grep -c line d/a.txt d/b.txt; grep -v -i LINE d/b.txt || echo "no match: $?"
grep -rl three d | sort; grep -E '^(ban|che)' d/fruits.txt; grep -o 'l[a-z]*' d/b.txt | head -2
echo "== diff"
diff d/a.txt d/b.txt; echo "diff status $?"
diff -u d/fruits.txt d/fruits.txt; echo "same status $?"
echo "== find | xargs"
find d -type f | sort; find d -name '*.txt' | sort | xargs md5sum; find d -name '*.txt' | sort | xargs head -qn 1
find d -type d | sort | xargs -n 1 echo dir:
find d -newer d/fruits.txt -name nothing; find d -empty | sort
echo "== tar and gzip"
tar cf d.tar d && tar tf d.tar | sort
mkdir x && tar xf d.tar -C x && diff -r d x/d && echo "tar round trip ok"
gzip -9 -c d/sub/nums.txt > nums.gz && gzip -dc nums.gz | md5sum
gzip -c d/sub/nums.txt | gzip -t && echo "gzip -t ok"
# (not tar czf: busybox tar runs "gzip" from $PATH, and the enclave has no /bin)
tar cf - d | gzip > d.tgz && tar tzf d.tgz | wc -l
echo "== more applets"
md5sum d/fruits.txt | cut -c1-32; sha256sum d/fruits.txt | cut -c1-16
wc -c d/sub/nums.txt; head -c 20 d/sub/nums.txt | od -c | head -2
cp -r d e && mv e/fruits.txt e/f.txt && rm -r e/sub && ls e | tr '\n' ' '; echo
basename /a/b/c.txt .txt; dirname /a/b/c.txt; expr 6 \* 7; printf '%s\n' "$(echo *)"
stat -c '%s %F %a' d/fruits.txt d/link; stat -c '%F %a %h' d/sub; readlink d/link
du -s d/sub >/dev/null && echo "du ok"; tail -n 2 d/sub/nums.txt; tac d/a.txt | head -1
echo "== cleanup"
rm -rf d x nums.gz d.tar d.tgz e; ls | wc -l
