// Copyright 2026 the microcoap authors. MIT license.
/**
 * Work in progress.
 *
 * @module
 */
export {};
