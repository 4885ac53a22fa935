/**
 * The measured boot configuration: one 4096-byte page the host appends to the application
 * image (after the ELF, page aligned), so every platform measures it with the application
 * (Keystone: the last page of the eapp region; SEV-SNP: the last page of the application's
 * SNP_LAUNCH_UPDATE). The kernel finds it as the last page of the measured application image.
 * No page (or no magic): the default root, nothing bound.
 *
 *   +0  "TEEOSCFG"   +8 u32 version (1)   +12 u32 flags (bit 0: a root image is bound)
 *   +16 u64 root image data blocks N     +24 u32 block size (4096)   +28 u32 0
 *   +32 u8[32] the root image's Merkle root (SHA-256, image.ts)
 *   +64 u32 the number of host mounts (--mount), then each: u8 flags (bit 0: read only),
 *       u8 length, the mount point (absolute path bytes); host fd 4 + i serves mount i
 *   rest zero
 *
 * The mount table is measured too: a host cannot mount its files over the measured root (or
 * anywhere) without changing the enclave's identity. The kernel mounts only what this page
 * lists; the boot arguments' copy is not believed.
 *
 * The host fd the image is read through (HOST_ROOT_IMAGE_FD) is a convention, not measured:
 * what is read is checked against the measured root whatever the host serves.
 */
export const CONFIG_MAGIC = 'TEEOSCFG';
export const CONFIG_PAGE = 4096;
export const CONFIG_ROOT_IMAGE = 1;
/** The host descriptor serving the root image (0..2 are stdio; mounts follow from 4). */
export const HOST_ROOT_IMAGE_FD = 3;
export const HOST_FIRST_MOUNT_FD = 4;

export interface BootConfig {
  rootImage: { blocks: number; root: Uint8Array } | null;
  mounts?: { at: string; readonly: boolean }[];
}

export function encodeConfigPage(c: BootConfig): Uint8Array {
  const b = new Uint8Array(CONFIG_PAGE);
  const dv = new DataView(b.buffer);
  b.set(new TextEncoder().encode(CONFIG_MAGIC), 0);
  dv.setUint32(8, 1, true);
  if (c.rootImage) {
    dv.setUint32(12, CONFIG_ROOT_IMAGE, true);
    dv.setBigUint64(16, BigInt(c.rootImage.blocks), true);
    dv.setUint32(24, 4096, true);
    b.set(c.rootImage.root, 32);
  }
  const mounts = c.mounts ?? [];
  dv.setUint32(64, mounts.length, true);
  let o = 68;
  for (const m of mounts) {
    const p = new TextEncoder().encode(m.at);
    if (p.length > 255 || o + 2 + p.length > CONFIG_PAGE) throw new RangeError('too many or too long mount points for the config page');
    b[o] = m.readonly ? 1 : 0;
    b[o + 1] = p.length;
    b.set(p, o + 2);
    o += 2 + p.length;
  }
  return b;
}

/** The application image with the config page appended (what the host lays and measures). */
export function withConfigPage(app: Uint8Array, c: BootConfig): Uint8Array {
  const padded = Math.ceil(app.length / CONFIG_PAGE) * CONFIG_PAGE;
  const out = new Uint8Array(padded + CONFIG_PAGE);
  out.set(app);
  out.set(encodeConfigPage(c), padded);
  return out;
}

/** The config in the last page of a measured application image, or null. */
export function findConfigPage(image: Uint8Array): BootConfig | null {
  if (image.length < 2 * CONFIG_PAGE || image.length % CONFIG_PAGE) return null;
  const p = image.subarray(image.length - CONFIG_PAGE);
  if (new TextDecoder().decode(p.subarray(0, 8)) !== CONFIG_MAGIC) return null;
  const dv = new DataView(p.buffer, p.byteOffset, p.byteLength);
  if (dv.getUint32(8, true) !== 1) return null;
  const flags = dv.getUint32(12, true);
  const mounts: { at: string; readonly: boolean }[] = [];
  const n = dv.getUint32(64, true);
  let o = 68;
  for (let i = 0; i < n; i++) {
    if (o + 2 > CONFIG_PAGE || o + 2 + p[o + 1] > CONFIG_PAGE) return null;
    mounts.push({ readonly: (p[o] & 1) !== 0, at: new TextDecoder().decode(p.subarray(o + 2, o + 2 + p[o + 1])) });
    o += 2 + p[o + 1];
  }
  if (!(flags & CONFIG_ROOT_IMAGE)) return { rootImage: null, mounts };
  const blocks = Number(dv.getBigUint64(16, true));
  if (dv.getUint32(24, true) !== 4096 || !Number.isSafeInteger(blocks) || blocks < 1) return null;
  return { rootImage: { blocks, root: p.slice(32, 64) }, mounts };
}
