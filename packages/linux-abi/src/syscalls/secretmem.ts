/**
 * memfd_secret (mm/secretmem.c): a file whose pages only the processes mapping it can reach.
 * Linux takes them out of its own direct map; here every page of an enclave is already out of
 * the host's reach, and the file is kept so: its pages live in enclave frames (on sgx, where a
 * fork child is another enclave, they move between the enclaves only in sealed messages, as
 * any shared file page; never in --untrusted-shared-memory, which only anonymous memory uses).
 *
 * As Linux: flags O_CLOEXEC only (else EINVAL); read/write EINVAL, pread/pwrite/lseek ESPIPE,
 * fallocate EOPNOTSUPP (no such operations); ftruncate only while the size is 0; mmap MAP_SHARED
 * only (MAP_PRIVATE EINVAL), the mapping VM_LOCKED and counted against RLIMIT_MEMLOCK (EAGAIN
 * past it), not populated; its pages cannot be pinned, so mlock of it fails (ENOMEM, from the
 * failed populate), munlock leaves it locked, process_vm_readv/writev get EFAULT. A fork child
 * shares the mapping (no VM_DONTCOPY), unlocked as any VMA a fork copies.
 *
 * Partial: on sgx a fork child (another enclave) gets the mapping but not the descriptor (the
 * fork says so; no other enclave is handed an open secretmem file), and the mapping it carries
 * is an ordinary shared file mapping there (its mlock/process_vm_* are not refused).
 */
import { E } from '../errors.ts';
import type { Stat } from '../abi/structs.ts';
import type { SyscallTable } from './table.ts';
import { FileInode } from '../fs/inode.ts';
import { InodeFile } from '../fs/files.ts';
import { fsOf } from '../fs/context.ts';
import { O_CLOEXEC, O_LARGEFILE, O_RDWR } from '../fs/vfs.ts';

/** The file's inode: fstat sees one link (alloc_anon_inode), though no directory holds it (the count that frees it stays 0). */
class SecretInode extends FileInode {
  override stat(): Stat {
    return { ...super.stat(), nlink: 1 };
  }
}

/** A memfd_secret descriptor's open file. */
export class SecretMemFile extends InodeFile {
  /** secretmem_setattr: the size can be set once, from 0. */
  override truncate(len: number): number {
    const f = this.inode as FileInode;
    if (f.size() !== 0) return -E.EINVAL;
    f.truncate(len);
    return 0;
  }
  override fallocate(): number {
    return -E.EOPNOTSUPP;
  }
  describe(): string {
    return 'secretmem';
  }
}

export function registerSecretmem(tab: SyscallTable): void {
  tab.def('memfd_secret', 'x', (k, t, a) => {
    const flags = a.i32(0) >>> 0;
    if (flags & ~O_CLOEXEC) return -E.EINVAL; // SECRETMEM_FLAGS_MASK is empty
    const m = fsOf(k).memfdMount;
    const inode = new SecretInode(m.sb, 0o600, k.config.uid, k.config.gid);
    const f = new SecretMemFile(O_RDWR | O_LARGEFILE, { mnt: m, inode, parent: { mnt: m, inode: m.root }, name: 'secretmem' });
    const fd = t.proc.fds.install(f, (flags & O_CLOEXEC) !== 0);
    if (fd < 0) f.close();
    return fd;
  }, 'partial', 'pages only in enclave memory, never shared with the host (untrusted shared memory is for anonymous memory only); a fork child that is another enclave gets the mapping but not the descriptor');
}
