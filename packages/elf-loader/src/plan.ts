/*
 * Page-granular load plan, as fs/binfmt_elf.c elf_load()/elf_map() (Linux 6.x) map an
 * executable. For each PT_LOAD segment s, with bias b, P = 4096:
 *   file pages:  [page_down(b+s.vaddr), page_up(b+s.vaddr+s.filesz)) are the file bytes
 *                starting at offset page_down(s.offset) (mmap of the whole file pages, so
 *                bytes before vaddr and after filesz in those pages are file bytes too;
 *                bytes past the end of the file read as zero);
 *   if memsz > filesz:
 *     zero tail: [b+s.vaddr+s.filesz, page_up(b+s.vaddr+s.filesz)) is zeroed (padzero);
 *     anon pages: [page_up(b+s.vaddr+s.filesz), page_up(b+s.vaddr+s.memsz)) are fresh
 *                 zero pages (vm_brk_flags);
 *   (if filesz == 0 the file part is empty and the anon part starts at page_down(vaddr)).
 * Mappings are applied in segment order; when two segments share a page the later
 * mapping replaces the page (MAP_FIXED), exactly as on Linux. Protection is the
 * segment's PF_R/W/X (Linux's vm_brk pages for a read-only bss would be writable;
 * we keep the segment's protection, which only differs for that unusual case).
 * Initial program break: page_up(b + max(vaddr + memsz)) (mm->start_brk, no ASLR).
 */
import { PAGE_SIZE } from './constants.ts';
import type { ElfImage } from './parse.ts';

export interface Prot {
  read: boolean;
  write: boolean;
  exec: boolean;
}

export interface LoadMapping {
  /** page-aligned, biased, [start, end) */
  start: number;
  end: number;
  prot: Prot;
  /** page-aligned file offset backing `start`; fileBytes bytes are copied from it (rest of the range is zero) */
  fileOffset: number;
  fileBytes: number;
  /** [zeroStart, zeroEnd) inside the file-backed part that must be zeroed after the copy (bss head); empty when equal */
  zeroStart: number;
  zeroEnd: number;
  /** index into image.segments */
  segment: number;
}

export interface LoadPlan {
  bias: number;
  mappings: LoadMapping[];
  entry: number;
  /** AT_PHDR */
  phdr: number;
  brk: number;
  /** lowest and highest (exclusive) mapped address */
  start: number;
  end: number;
}

const pageDown = (x: number): number => x - (x % PAGE_SIZE);
const pageUp = (x: number): number => pageDown(x + PAGE_SIZE - 1);

export function loadPlan(image: ElfImage, bias: number = image.loadBias): LoadPlan {
  if (!Number.isSafeInteger(bias) || bias < 0 || bias % PAGE_SIZE !== 0) {
    throw new RangeError(`load bias ${bias} must be a non-negative multiple of ${PAGE_SIZE}`);
  }
  const mappings: LoadMapping[] = [];
  let brk = 0;
  image.segments.forEach((s, i) => {
    const prot: Prot = { read: s.readable, write: s.writable, exec: s.executable };
    const va = bias + s.vaddr;
    const fileEnd = va + s.filesz;
    const memEnd = va + s.memsz;
    if (s.filesz > 0) {
      const start = pageDown(va);
      const end = pageUp(fileEnd);
      const fileOffset = pageDown(s.offset);
      // whole file pages, clipped at end of file (the rest of the last page reads as zero)
      const fileBytes = Math.max(0, Math.min(end - start, image.fileSize - fileOffset));
      const bss = s.memsz > s.filesz;
      mappings.push({ start, end, prot, fileOffset, fileBytes, zeroStart: bss ? fileEnd : end, zeroEnd: end, segment: i });
      if (bss && pageUp(memEnd) > end) {
        mappings.push({ start: end, end: pageUp(memEnd), prot, fileOffset: 0, fileBytes: 0, zeroStart: end, zeroEnd: end, segment: i });
      }
    } else if (s.memsz > 0) {
      const start = pageDown(va);
      mappings.push({ start, end: pageUp(memEnd), prot, fileOffset: 0, fileBytes: 0, zeroStart: start, zeroEnd: start, segment: i });
    }
    brk = Math.max(brk, memEnd);
  });
  return {
    bias,
    mappings,
    entry: bias + image.entry,
    phdr: bias + image.phdrVaddr,
    brk: pageUp(brk),
    start: mappings.length ? Math.min(...mappings.map((m) => m.start)) : 0,
    end: mappings.length ? Math.max(...mappings.map((m) => m.end)) : 0,
  };
}
