/**
 * The unlinked shmem object behind a MAP_SHARED anonymous mapping (and a MAP_SHARED mapping of
 * /dev/zero), as Linux's shmem_zero_setup makes one: a file of the mapping's size on the internal
 * shmem mount, named "/dev/zero" with no link (/proc/PID/maps: "/dev/zero (deleted)").
 *
 * On every platform, so that what Linux shows holds everywhere (/proc/PID/maps, offsets of a
 * split mapping, SIGBUS past the object's end after mremap grows it or for /dev/zero mapped at an
 * offset). Where the kernel owns its page tables (Keystone, SEV) the page cache's frames are
 * mapped by every mapping and fork shares them; where the platform places pages itself (fixed
 * paging, SGX) one EPC page cannot be at two addresses, so each page has one home and migrates
 * between mappings (page-cache.ts) and, after fork, between enclaves through the object's owner
 * (family-pages.ts), as a memfd's do. The bytes the cache does not hold are sparse (a page
 * nobody stored to costs nothing): a large MAP_SHARED|MAP_NORESERVE mapping is not memory until
 * touched, as on Linux.
 */
import { PAGE_SIZE } from './frames.ts';
import { PageCache, type FileBacking, type FrameMemory } from './page-cache.ts';
import type { MappedFile } from './address-space.ts';

/** A shmem object of `size` bytes (page aligned) on the file system `sb` (its dev and inode numbers). */
export function shmemZeroFile(sb: { dev: number; allocIno(): number }, size: number, fm: FrameMemory): MappedFile {
  const pages = new Map<number, Uint8Array>();
  let cache: PageCache | null = null;
  const backing: FileBacking = {
    size: () => size,
    has: (pg) => pages.has(pg),
    readRaw: (pos, len) => {
      const end = Math.min(size, pos + len);
      if (end <= pos) return new Uint8Array(0);
      const out = new Uint8Array(end - pos);
      for (let p = pos; p < end;) {
        const pg = Math.floor(p / PAGE_SIZE), o = p % PAGE_SIZE, n = Math.min(PAGE_SIZE - o, end - p);
        const b = pages.get(pg);
        if (b) out.set(b.subarray(o, o + n), p - pos);
        p += n;
      }
      return out;
    },
    writeRaw: (pos, d) => {
      const end = Math.min(size, pos + d.length);
      for (let p = pos; p < end;) {
        const pg = Math.floor(p / PAGE_SIZE), o = p % PAGE_SIZE, n = Math.min(PAGE_SIZE - o, end - p);
        let b = pages.get(pg);
        if (!b) pages.set(pg, (b = new Uint8Array(PAGE_SIZE)));
        b.set(d.subarray(p - pos, p - pos + n), o);
        p += n;
      }
    },
    // The object goes with its last mapping (here and in other enclaves): nothing else names it.
    uncached: () => { if (cache && !cache.isMapped()) pages.clear(); },
  };
  cache = new PageCache(backing, fm);
  return { cache, path: '/dev/zero', dev: sb.dev, ino: sb.allocIno(), nlink: () => 0, mayWrite: true, anonShmem: true };
}
