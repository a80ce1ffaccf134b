import { formatBytes, formatDuration, type Ui } from "../ui";

/** Bytes, rate and ETA of a transfer, drawn at most every 200 ms. */
export function createTransferProgress(ui: Ui, total: number, alreadySent: number) {
  const start = Date.now();
  let last = 0;
  let sent = alreadySent;
  const draw = (force: boolean) => {
    const now = Date.now();
    if (!force && now - last < 200) return;
    last = now;
    const seconds = Math.max((now - start) / 1000, 0.001);
    const rate = (sent - alreadySent) / seconds;
    const eta = rate > 0 ? ((total - sent) / rate) * 1000 : Number.POSITIVE_INFINITY;
    const width = 30;
    const filled = total === 0 ? width : Math.round((sent / total) * width);
    ui.progress(
      `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${formatBytes(sent)}/${formatBytes(total)} ` +
        `${formatBytes(rate)}/s ETA ${Number.isFinite(eta) ? formatDuration(eta) : "?"}`,
    );
  };
  return {
    add(bytes: number) {
      sent += bytes;
      draw(false);
    },
    set(bytes: number) {
      sent = bytes;
      draw(false);
    },
    done() {
      draw(true);
      ui.progressDone();
    },
  };
}
