/**
 * The kernel's file-system state and the per-call view of it: the namespace (built on first
 * use, one per kernel) and a task's FsContext (credentials, root, cwd, umask).
 */
import type { Kernel } from '../kernel.ts';
import type { Process, Task } from '../task.ts';
import { buildRootFs, type FsNamespace } from './rootfs.ts';
import type { FsContext, Location } from './vfs.ts';

const namespaces = new WeakMap<Kernel, FsNamespace>();

/** The kernel's file system namespace (the tree of mounts and the internal mounts). */
export function fsOf(k: Kernel): FsNamespace {
  let ns = namespaces.get(k);
  if (!ns) {
    ns = buildRootFs(k, { uid: k.config.uid, gid: k.config.gid, hostname: k.config.hostname });
    namespaces.set(k, ns);
  }
  return ns;
}

/** A process's root directory (init starts at the namespace root). */
export function rootOf(k: Kernel, p: Process): Location {
  if (!p.root) p.root = fsOf(k).vfs.rootLocation();
  return p.root;
}

export function cwdOf(k: Kernel, p: Process): Location {
  if (!p.cwd) p.cwd = rootOf(k, p);
  return p.cwd;
}

export function fsContext(k: Kernel, t: Task): FsContext {
  const p = t.proc;
  return { cred: { uid: k.config.uid, gid: k.config.gid, pid: p.pid }, root: rootOf(k, p), cwd: cwdOf(k, p), umask: p.umask };
}
