/* truncate/fallocate, sendfile, copy_file_range, memfd_create + seals, statx, utimensat, statfs, fsync family, EFAULT. */
#include "fsutil.h"
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/statfs.h>
#include <sys/uio.h>

int main(void) {
  scratch_begin();
  struct stat st;
  put("f", "abcdefghij");
  T(truncate("f", 4));
  T(stat("f", &st));
  printf("size=%ld\n", (long)st.st_size);
  T(truncate("f", -1));
  T(truncate(".", 0));
  T(truncate("nope", 0));
  int fd = open("f", O_RDWR);
  T(fallocate(fd, 0, 0, 100));
  T(fstat(fd, &st));
  printf("size=%ld\n", (long)st.st_size);
  T(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 1000));
  T(fstat(fd, &st));
  printf("size=%ld\n", (long)st.st_size);
  T(fallocate(fd, 0, -1, 10));
  T(fallocate(fd, 0, 0, 0));
  T(fsync(fd));
  T(fdatasync(fd));
  T(syncfs(fd));
  sync();
  int ro = open("f", O_RDONLY);
  T(ftruncate(ro, 0));
  T(fallocate(ro, 0, 0, 10));
  int p[2];
  pipe(p);
  T(fsync(p[0]));
  T(fallocate(p[1], 0, 0, 10));
  T(ftruncate(p[1], 0));
  /* sendfile and copy_file_range */
  put("src", "0123456789ABCDEF");
  int s = open("src", O_RDONLY);
  int o = open("dst", O_RDWR | O_CREAT, 0644);
  off_t off = 4;
  T(sendfile(o, s, &off, 6));
  printf("off=%ld\n", (long)off);
  T(lseek(s, 0, SEEK_CUR));
  T(sendfile(p[1], s, NULL, 100));
  char buf[64] = {0};
  T(read(p[0], buf, sizeof buf));
  printf("via pipe: %s\n", buf);
  T(sendfile(o, s, NULL, 10));
  loff_t in = 10, out = 0;
  T(copy_file_range(s, &in, o, &out, 3, 0));
  T(pread(o, buf, 20, 0));
  printf("dst: %.6s\n", buf);
  T(copy_file_range(s, NULL, o, NULL, 3, 1));
  /* memfd */
  int m = memfd_create("teeos", MFD_ALLOW_SEALING | MFD_CLOEXEC);
  T(m >= 0);
  T(fcntl(m, F_GETFD));
  T(write(m, "sealed data", 11));
  T(fcntl(m, F_GET_SEALS));
  T(fcntl(m, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW));
  T(ftruncate(m, 2));
  T(ftruncate(m, 200));
  T(pwrite(m, "SEALED", 6, 0));
  T(write(m, "more", 4));
  T(fcntl(m, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SEAL));
  T(pwrite(m, "x", 1, 0));
  T(fcntl(m, F_ADD_SEALS, F_SEAL_GROW));
  T(pread(m, buf, 11, 0));
  printf("memfd: %.11s\n", buf);
  T(fstat(m, &st));
  printf("memfd %s size=%ld nlink=%ld\n", ftype(st.st_mode), (long)st.st_size, (long)st.st_nlink);
  int m2 = memfd_create("plain", 0);
  T(fcntl(m2, F_GET_SEALS));
  T(fcntl(m2, F_ADD_SEALS, F_SEAL_WRITE));
  T(memfd_create("x", 0x100));
  /* statx, utimensat */
  struct statx sx;
  T(statx(AT_FDCWD, "src", 0, STATX_BASIC_STATS, &sx));
  printf("statx size=%llu mode=%o nlink=%u\n", (unsigned long long)sx.stx_size, sx.stx_mode & 0777, sx.stx_nlink);
  T(statx(AT_FDCWD, "src", 0x6000, STATX_BASIC_STATS, &sx));
  struct timespec ts[2] = { { 1000000000, 5 }, { 1200000000, 7 } };
  T(utimensat(AT_FDCWD, "src", ts, 0));
  T(stat("src", &st));
  printf("atime=%ld.%ld mtime=%ld.%ld\n", (long)st.st_atim.tv_sec, st.st_atim.tv_nsec, (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  ts[0].tv_nsec = UTIME_OMIT; ts[1].tv_sec = 1300000000; ts[1].tv_nsec = 0;
  T(futimens(s, ts));
  T(stat("src", &st));
  printf("atime=%ld mtime=%ld\n", (long)st.st_atim.tv_sec, (long)st.st_mtim.tv_sec);
  ts[0].tv_nsec = 1000000000;
  T(utimensat(AT_FDCWD, "src", ts, 0));
  T(utimensat(AT_FDCWD, "src", NULL, 0x4));
  struct statfs sf;
  T(statfs("/dev/shm", &sf));
  printf("shm tmpfs=%d namelen=%ld\n", sf.f_type == 0x01021994, (long)sf.f_namelen);
  T(statfs("/proc", &sf));
  printf("proc magic=%d\n", sf.f_type == 0x9fa0);
  T(fstatfs(999, &sf));
  /* EFAULT everywhere */
  T(read(s, (char *)16, 4));
  T(lseek(s, 0, SEEK_CUR));
  T(write(o, (char *)16, 4));
  T(fstat(s, (struct stat *)16));
  T(getcwd((char *)16, 100) != NULL);
  struct iovec bad = { (char *)16, 4 };
  T(readv(s, &bad, 1));
  T(readv(s, (struct iovec *)16, 1));
  T(statx(AT_FDCWD, "src", 0, STATX_BASIC_STATS, (struct statx *)16));
  T(readlink("/proc/self/cwd", (char *)16, 10));
  scratch_end();
  return 0;
}
