// The little JavaScript the pages use; every page works without it.

function copyLinks() {
  for (const button of document.querySelectorAll("button.copy-link")) {
    button.addEventListener("click", async () => {
      const link = button.getAttribute("data-copy") || location.href;
      try {
        await navigator.clipboard.writeText(link);
      } catch {
        const input = document.getElementById("permalink");
        if (input) {
          input.select();
          document.execCommand("copy");
        }
      }
      button.textContent = "Copied";
      setTimeout(() => (button.textContent = "Copy link"), 1500);
    });
  }
}

function scrollToLinked() {
  const first = document.querySelector("tr.linked");
  if (first && !location.hash) first.scrollIntoView({ block: "center" });
}

function uploadForm() {
  const form = document.getElementById("upload-form");
  if (!form) return;
  const input = document.getElementById("archive");
  const zone = document.getElementById("dropzone");
  const chosen = document.getElementById("chosen");
  const progress = document.getElementById("upload-progress");
  const status = document.getElementById("upload-status");
  const show = () => {
    const f = input.files?.[0];
    chosen.textContent = f ? `${f.name} (${f.size.toLocaleString("en")} bytes)` : "";
  };
  input.addEventListener("change", show);
  zone.addEventListener("dragover", (e) => {
    e.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    if (e.dataTransfer?.files.length) {
      input.files = e.dataTransfer.files;
      show();
    }
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const file = input.files?.[0];
    if (!file) {
      status.textContent = "Choose a file first.";
      return;
    }
    // Fields before the file: the server reads the description while the archive streams.
    const body = new FormData();
    for (const [k, v] of new FormData(form)) if (k !== "archive" && v !== "") body.append(k, v);
    body.append("archive", file, file.name);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    progress.hidden = false;
    xhr.upload.addEventListener("progress", (ev) => {
      if (!ev.lengthComputable) return;
      const pct = Math.floor((ev.loaded / ev.total) * 100);
      progress.value = pct;
      status.textContent = `Uploading: ${pct}% (${ev.loaded.toLocaleString("en")} of ${ev.total.toLocaleString("en")} bytes)`;
    });
    xhr.addEventListener("load", () => {
      let answer = {};
      try {
        answer = JSON.parse(xhr.responseText);
      } catch {}
      if (xhr.status === 202 || xhr.status === 200) {
        progress.value = 100;
        status.textContent = xhr.status === 200 ? "Already uploaded: " : "Uploaded: ";
        const a = document.createElement("a");
        a.href = new URL(answer.url, location.href).pathname;
        a.textContent = "see its processing";
        a.id = "submission-link";
        status.appendChild(a);
      } else {
        status.textContent = `Upload refused: ${answer.error?.message || xhr.status}`;
      }
    });
    xhr.addEventListener("error", () => (status.textContent = "The connection failed; try again."));
    xhr.send(body);
  });
}

document.addEventListener("DOMContentLoaded", () => {
  copyLinks();
  scrollToLinked();
  uploadForm();
});
