export * from './constants.ts';
export { ElfError, ArgListTooLongError } from './errors.ts';
export type { ElfErrorReason } from './errors.ts';
export { parseElf } from './parse.ts';
export type { ElfImage, ElfSegment, ElfTls, FloatAbi, ParseOptions } from './parse.ts';
export { loadPlan } from './plan.ts';
export type { LoadMapping, LoadPlan, Prot } from './plan.ts';
export { buildInitialStack } from './stack.ts';
export type { InitialStack, InitialStackOptions, StackString } from './stack.ts';
