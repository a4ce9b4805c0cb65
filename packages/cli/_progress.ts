// Copyright 2026 the microcoap authors. MIT license.
// A progress bar on stderr for block-wise transfers, drawn only when stderr
// is a terminal.
import { ProgressBar } from "@std/cli/unstable-progress-bar";
import type { CoapProgress } from "@microcoap/client";
import type { CliWriter } from "./cli.ts";

/** Draws block-wise progress; does nothing when disabled. */
export class TransferProgress {
  #writer: CliWriter;
  #enabled: boolean;
  #bar: ProgressBar | undefined;
  #direction: CoapProgress["direction"] | undefined;

  constructor(writer: CliWriter, enabled: boolean) {
    this.#writer = writer;
    this.#enabled = enabled;
  }

  /** Whether a bar has been drawn. */
  get drawn(): boolean {
    return this.#bar !== undefined;
  }

  /** Reports one block. */
  update = (progress: CoapProgress): void => {
    if (!this.#enabled) return;
    if (this.#bar !== undefined && this.#direction !== progress.direction) {
      // An upload finished and the response comes block-wise too.
      void this.#bar.stop();
      this.#bar = undefined;
    }
    const max = Math.max(progress.total ?? 0, progress.bytes, 1);
    if (this.#bar === undefined) {
      const writer = this.#writer;
      this.#direction = progress.direction;
      this.#bar = new ProgressBar({
        max,
        value: progress.bytes,
        clear: true,
        interval: 100,
        writable: new WritableStream<Uint8Array>({
          async write(chunk) {
            await writer.write(chunk);
          },
        }),
        formatter: (f) =>
          `${
            progress.direction === "upload" ? "upload  " : "download"
          } [${f.progressBar}] ${f.styledData}`,
      });
      return;
    }
    this.#bar.max = max;
    this.#bar.value = progress.bytes;
  };

  /** Removes the bar. */
  async stop(): Promise<void> {
    const bar = this.#bar;
    this.#bar = undefined;
    await bar?.stop();
  }
}
