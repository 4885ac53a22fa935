export { BuddyAllocator } from './buddy.ts';
export type { BuddyOptions } from './buddy.ts';
