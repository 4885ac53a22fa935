/**
 * The file system tree the enclave starts with, all in enclave memory:
 *
 *   /            tmpfs, root:root 0755
 *   /tmp         1777 (sticky, world-writable)
 *   /home/user   the configured user's home, uid:gid 0755
 *   /etc         passwd, group, hosts, hostname (root:root 0644)
 *   /dev         devtmpfs: null zero full random urandom tty console, stdin stdout stderr fd -> /proc/self/...
 *   /dev/shm     tmpfs 1777 (a second tmpfs: rename/link across it is EXDEV, as on Linux)
 *   /proc        procfs
 *
 * With `--root DIR` (a root image bound into the measurement: config.ts, image.ts) the root
 * is instead the image, mounted read only, every block checked against the measured Merkle
 * root; a tmpfs is mounted on /tmp, devtmpfs on /dev (with /dev/shm) and procfs on /proc,
 * over the image's directories of those names (the image builder makes sure they exist).
 */
import type { Kernel } from '../kernel.ts';
import { DirInode, FileInode, type Timespec, SuperBlock } from './inode.ts';
import { Vfs, type Mount } from './vfs.ts';
import { installDrivers, populateDev } from './devfs.ts';
import { findConfigPage, HOST_ROOT_IMAGE_FD } from './config.ts';
import { VerifiedImage, IntegrityError } from './image.ts';
import { ImageFs } from './imagefs.ts';
import { HostFs } from './hostfs.ts';
import { HOST_FIRST_MOUNT_FD } from './config.ts';
import { SysError } from '../errors.ts';
import type { Inode } from './inode.ts';
import type { Location } from './vfs.ts';
import { ProcFs } from './procfs.ts';
import './files.ts';
import './pipe.ts';

// include/uapi/linux/magic.h
export const TMPFS_MAGIC = 0x01021994, PROC_SUPER_MAGIC = 0x9fa0, PIPEFS_MAGIC = 0x50495045, ANON_INODE_FS_MAGIC = 0x09041934;

export interface RootFsOptions {
  uid: number;
  gid: number;
  hostname: string;
  /** Bytes all tmpfs file data together may take. */
  tmpfsBytes?: number;
}

export interface FsNamespace {
  vfs: Vfs;
  /** Mounts outside the tree, for pipes, eventfds and memfds. */
  pipeMount: Mount;
  anonMount: Mount;
  /** sockfs: where socket inodes live (fstatfs reports SOCKFS_MAGIC). */
  sockMount: Mount;
  memfdMount: Mount;
  /** The measured root image's file system, when the root is one (fork finds executables in it). */
  image?: ImageFs;
}

export function newTmpfs(clock: () => Timespec, bytes: number, mode: number, uid = 0, gid = 0): { sb: SuperBlock; root: DirInode } {
  const sb = new SuperBlock('tmpfs', 0x01021994, clock, bytes);
  sb.xattrs = true;
  return { sb, root: new DirInode(sb, mode, uid, gid, null) };
}

/** The clock inode times come from (CLOCK_REALTIME as a timespec), for every in-kernel file system. */
export function inodeClock(k: Kernel): () => Timespec {
  return () => {
    const ns = k.realtimeNs();
    const sec = Math.floor(ns / 1e9);
    return { sec, nsec: Math.max(0, Math.min(999_999_999, Math.floor(ns - sec * 1e9))) };
  };
}

export function buildRootFs(k: Kernel, o: RootFsOptions): FsNamespace {
  const clock = inodeClock(k);
  installDrivers({ host: k.platform.host, random: (b) => k.platform.random(b) });
  const bytes = o.tmpfsBytes ?? 1 << 30;
  const vfs = new Vfs();
  const config = findConfigPage(k.appImage);
  if (config?.rootImage) {
    const ri = config.rootImage;
    const host = k.platform.host;
    const chunk = Math.max(4096, Math.floor((host.maxPayload - 4096) / 4096) * 4096);
    const img = new VerifiedImage((off, len) => {
      const r = host.call({ op: 'fs', nr: 67, args: [HOST_ROOT_IMAGE_FD, len, off], data: new Uint8Array(0), outLen: len });
      if (r.ret < 0) return r.ret;
      if (r.ret !== len || r.data.length < len) return -5;
      return r.data.subarray(0, len);
    }, ri.blocks, ri.root, chunk, (line) => k.platform.log(line));
    const fs = new ImageFs(img, clock);
    let root: Inode;
    try {
      img.init();
      root = fs.mount();
    } catch (e) {
      if (!(e instanceof IntegrityError) && !(e as { errno?: number }).errno) throw e;
      // The measured image cannot be read: an empty, read-only root (every lookup ENOENT).
      k.platform.log(`root image: cannot mount (${(e as Error).message}); the root is empty`);
      const t = newTmpfs(clock, 0, 0o755);
      vfs.setRoot(t.sb, t.root, 'teeos-root', 1, 'ro');
      return finishNamespace(k, vfs, clock, bytes, null);
    }
    vfs.setRoot(fs.sb, root, '/dev/root', 1 /* MNT_RDONLY */, 'ro');
    const ns = finishNamespace(k, vfs, clock, bytes, root);
    ns.image = fs;
    return ns;
  }
  const { sb, root } = newTmpfs(clock, bytes, 0o755);
  vfs.setRoot(sb, root, 'rootfs', 0, 'size=' + (bytes >> 10) + 'k,mode=755');
  const dir = (parent: DirInode, name: string, mode: number, uid = 0, gid = 0) => {
    const d = new DirInode(parent.sb, mode, uid, gid, parent);
    parent.addChild(name, d);
    return d;
  };
  const file = (parent: DirInode, name: string, text: string, mode = 0o644) => {
    const f = new FileInode(parent.sb, mode, 0, 0);
    f.writeAt(0, new TextEncoder().encode(text));
    parent.addChild(name, f);
  };
  dir(root, 'tmp', 0o1777);
  const etc = dir(root, 'etc', 0o755);
  const home = dir(root, 'home', 0o755);
  dir(home, 'user', 0o755, o.uid, o.gid);
  const devDir = dir(root, 'dev', 0o755);
  const procDir = dir(root, 'proc', 0o555);
  file(etc, 'passwd', `root:x:0:0:root:/root:/bin/sh\nuser:x:${o.uid}:${o.gid}:user:/home/user:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n`);
  file(etc, 'group', `root:x:0:\nuser:x:${o.gid}:\nnogroup:x:65534:\n`);
  file(etc, 'hosts', `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t${o.hostname}\n`);
  file(etc, 'hostname', `${o.hostname}\n`);

  mountSpecial(k, vfs, clock, bytes, devDir, procDir);
  mountHost(k, vfs, clock, root);
  return internalMounts(vfs, clock, bytes);
}

/**
 * `--mount` directories from the host (hostfs.ts: no integrity, no confidentiality). A missing
 * mount point is made on the tmpfs root; on the read-only image root it must exist.
 */
function mountHost(k: Kernel, vfs: Vfs, clock: () => Timespec, tmpfsRoot: DirInode | null): void {
  // Only the measured mount table counts (config.ts); the boot arguments' copy is not believed.
  const mounts = findConfigPage(k.appImage)?.mounts ?? [];
  const claimed = k.config.mounts ?? [];
  if (claimed.length !== mounts.length || claimed.some((m, i) => m.at !== mounts[i].at || !!m.readonly !== mounts[i].readonly)) {
    k.platform.log('mount: the host\'s mount list differs from the measured one; using the measured one');
  }
  const cred = { uid: 0, gid: 0, pid: 0 };
  mounts.forEach((m, i) => {
    const comps = typeof m.at === 'string' ? m.at.split('/').filter((c) => c !== '') : [];
    if (comps.length === 0 || comps.some((c) => c === '.' || c === '..')) {
      k.platform.log(`mount: refusing mount point '${String(m.at)}'`);
      return;
    }
    let loc: Location = vfs.rootLocation();
    try {
      for (const c of comps) {
        let child = loc.inode.lookup(c, cred);
        if (!child && tmpfsRoot && loc.inode instanceof DirInode) {
          child = new DirInode(loc.inode.sb, 0o755, 0, 0, loc.inode);
          loc.inode.addChild(c, child);
        }
        if (!child || !child.isDir()) throw new SysError(2);
        loc = { mnt: loc.mnt, inode: child };
        const over = loc.mnt.children.get(child);
        if (over) loc = { mnt: over, inode: over.root };
      }
      const fs = new HostFs(k.platform.host, HOST_FIRST_MOUNT_FD + i, !!m.readonly, k.config.uid, k.config.gid, clock);
      const root = fs.root();
      vfs.mount(loc, fs.sb, root, 'hostfs', m.readonly ? 1 : 0, m.readonly ? 'ro' : 'rw');
    } catch (e) {
      if (!(e instanceof SysError)) throw e;
      k.platform.log(`mount: cannot mount host directory ${i} on ${m.at} (errno ${e.errno})`);
    }
  });
}

/** /dev (devtmpfs, with /dev/shm) and /proc on the given directories of the root mount. */
function mountSpecial(k: Kernel, vfs: Vfs, clock: () => Timespec, bytes: number, devDir: Inode | null, procDir: Inode | null): void {
  const rootLoc = vfs.rootLocation();
  // /dev (devtmpfs) and /dev/shm
  if (devDir) {
    const devSb = new SuperBlock('devtmpfs', 0x01021994, clock, 1 << 20);
    devSb.xattrs = true; // devtmpfs is shmem
    const dev = new DirInode(devSb, 0o755, 0, 0, null);
    populateDev(dev.sb, dev);
    const shmPoint = new DirInode(dev.sb, 0o1777, 0, 0, dev);
    dev.addChild('shm', shmPoint);
    const devMount = vfs.mount({ mnt: rootLoc.mnt, inode: devDir }, dev.sb, dev, 'udev', 0, 'mode=755');
    const shm = newTmpfs(clock, bytes, 0o1777);
    vfs.mount({ mnt: devMount, inode: shmPoint }, shm.sb, shm.root, 'tmpfs', 0, 'nosuid,nodev');
  }
  // /proc
  if (procDir) {
    const procSb = new SuperBlock('proc', 0x9fa0, clock);
    let procMount: Mount | null = null;
    const proc = new ProcFs(k, procSb, () => vfs.rootLocation(), () => procMount!);
    procMount = vfs.mount({ mnt: rootLoc.mnt, inode: procDir }, procSb, proc.root, 'proc', 0, 'nosuid,nodev,noexec,relatime');
  }
}

/** The image root: tmpfs on /tmp, then /dev and /proc, over the image's directories. */
function finishNamespace(k: Kernel, vfs: Vfs, clock: () => Timespec, bytes: number, root: Inode | null): FsNamespace {
  const dirOf = (name: string): Inode | null => {
    try {
      const i = root?.lookup(name, { uid: 0, gid: 0, pid: 0 }) ?? null;
      return i && i.isDir() ? i : null;
    } catch {
      return null;
    }
  };
  const rootLoc: Location = vfs.rootLocation();
  const tmpDir = dirOf('tmp');
  if (tmpDir) {
    const t = newTmpfs(clock, bytes, 0o1777);
    vfs.mount({ mnt: rootLoc.mnt, inode: tmpDir }, t.sb, t.root, 'tmpfs', 0, 'nosuid,nodev');
  }
  mountSpecial(k, vfs, clock, bytes, dirOf('dev'), dirOf('proc'));
  mountHost(k, vfs, clock, null);
  return internalMounts(vfs, clock, bytes);
}

function internalMounts(vfs: Vfs, clock: () => Timespec, bytes: number): FsNamespace {
  const pipeSb = new SuperBlock('pipefs', PIPEFS_MAGIC, clock);
  const anonSb = new SuperBlock('anon_inodefs', ANON_INODE_FS_MAGIC, clock);
  const sockSb = new SuperBlock('sockfs', 0x534f434b /* SOCKFS_MAGIC */, clock);
  const memfd = newTmpfs(clock, bytes, 0o1777);
  return {
    vfs,
    pipeMount: vfs.internalMount(pipeSb, new DirInode(pipeSb, 0o700, 0, 0, null), 'pipefs'),
    anonMount: vfs.internalMount(anonSb, new DirInode(anonSb, 0o700, 0, 0, null), 'anon_inodefs'),
    sockMount: vfs.internalMount(sockSb, new DirInode(sockSb, 0o700, 0, 0, null), 'sockfs'),
    memfdMount: vfs.internalMount(memfd.sb, memfd.root, 'memfd'),
  };
}
