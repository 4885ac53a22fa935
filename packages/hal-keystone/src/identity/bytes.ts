// The byte helpers live in @teeos/hal/bytes (one shared copy); re-exported for this package's modules.
export * from '@teeos/hal/bytes';
