// previz review page: the player, the shot list that follows it, editor keys, and notes back.
// Loaded from a file beside the page (the Content-Security-Policy forbids inline script); every
// string it puts on the page goes in as text (textContent), never as markup.
"use strict";

(function () {
  const body = document.body;
  const [num, den] = body.dataset.rate.split("/").map(Number);
  const fps = num / den;
  const nominal = Math.round(fps);
  const startFrame = Number(body.dataset.startFrame);
  const totalFrames = Number(body.dataset.frames);
  const storageKey = body.dataset.storageKey;
  const reviewerKey = "previz-reviewer";
  const video = document.getElementById("player");
  const shots = Array.from(document.querySelectorAll("li.shot")).map((element) => ({
    element,
    id: element.dataset.shot,
    frame: Number(element.dataset.frame),
    frames: Number(element.dataset.frames),
    timecode: element.dataset.timecode,
  }));

  // ---- time: frames, seconds, timecode ---------------------------------------------------
  // A seek lands a hundredth of a frame past the frame's start, so rounding in the media
  // pipeline can never show the frame before it.
  const secondsOf = (frame) => (frame + 0.01) / fps;
  const frameAt = (seconds) => Math.max(0, Math.floor(seconds * fps + 1e-4));

  // Non-drop timecode, as every export previz writes counts frames (29.97 included).
  function timecode(frame) {
    const n = startFrame + frame;
    const ff = n % nominal;
    const total = Math.floor(n / nominal);
    const pad = (v) => String(v).padStart(2, "0");
    return `${pad(Math.floor(total / 3600))}:${pad(Math.floor(total / 60) % 60)}:${pad(total % 60)}:${pad(ff)}`;
  }

  function shotAt(frame) {
    let found = shots[0];
    for (const shot of shots) {
      if (shot.frame <= frame) found = shot;
      else break;
    }
    return found;
  }

  // ---- the player and the list follow each other ------------------------------------------
  const tcOut = document.getElementById("timecode");
  const shotOut = document.getElementById("current-shot");
  const playButton = document.getElementById("play-pause");
  let current = null;

  function playheadFrame() {
    return video ? Math.min(frameAt(video.currentTime), Math.max(0, totalFrames - 1)) : 0;
  }

  const playhead = document.getElementById("strip-playhead");
  const stripShots = new Map();
  for (const button of document.querySelectorAll("#strip .strip-shot")) {
    button.style.flexGrow = button.dataset.frames; // CSSOM, which the policy allows
    stripShots.set(button.dataset.shot, button);
  }

  function show(frame) {
    tcOut.textContent = timecode(frame);
    playhead.style.left = `${(100 * frame) / Math.max(1, totalFrames)}%`;
    const shot = shotAt(frame);
    if (!shot || shot === current) return;
    if (current) {
      current.element.classList.remove("current");
      stripShots.get(current.id).classList.remove("current");
    }
    current = shot;
    shot.element.classList.add("current");
    stripShots.get(shot.id).classList.add("current");
    shotOut.textContent = shot.id;
    reveal(shot.element);
  }

  // Keep the current shot in view inside the list's own scroll box; never scroll the window
  // (on a phone the list is the page, and the player must stay where the reviewer put it).
  const listBox = document.querySelector(".shotlist");
  function reveal(element) {
    if (!listBox || listBox.scrollHeight <= listBox.clientHeight) return;
    const box = listBox.getBoundingClientRect();
    const card = element.getBoundingClientRect();
    if (card.top < box.top) listBox.scrollTop += card.top - box.top - 8;
    else if (card.bottom > box.bottom) listBox.scrollTop += card.bottom - box.bottom + 8;
  }

  function seekFrame(frame) {
    if (!video) return;
    const clamped = Math.min(Math.max(0, frame), Math.max(0, totalFrames - 1));
    video.currentTime = secondsOf(clamped);
    show(clamped);
  }

  function seekShot(shot) {
    if (!shot) return;
    stopShuttle();
    seekFrame(shot.frame);
  }

  // One loop follows the picture while it plays (a frame callback left pending by a pause
  // resumes it, so play never starts a second one).
  let following = false;
  function follow() {
    show(playheadFrame());
    following = Boolean(video && !video.paused);
    if (!following) return;
    if (video.requestVideoFrameCallback) video.requestVideoFrameCallback(follow);
    else window.requestAnimationFrame(follow);
  }

  // ---- shuttle: J/K/L as an editor expects (reverse play is stepped, HTML video cannot) ---
  let shuttle = 0;
  let reverseTimer = null;
  const shuttleOut = document.getElementById("shuttle");

  function stopShuttle() {
    shuttle = 0;
    if (reverseTimer) window.clearInterval(reverseTimer);
    reverseTimer = null;
    if (video) {
      video.pause();
      video.playbackRate = 1;
    }
    shuttleOut.textContent = "";
  }

  function runShuttle(speed) {
    if (!video) return;
    if (reverseTimer) window.clearInterval(reverseTimer);
    reverseTimer = null;
    shuttle = speed;
    shuttleOut.textContent = speed === 1 ? "" : `${speed > 0 ? "▶" : "◀"} ${Math.abs(speed)}×`;
    if (speed > 0) {
      video.playbackRate = speed;
      video.play();
      return;
    }
    video.pause();
    const tick = 1000 / fps;
    reverseTimer = window.setInterval(() => {
      const frame = playheadFrame() + speed;
      if (frame <= 0) {
        seekFrame(0);
        stopShuttle();
      } else {
        seekFrame(frame);
      }
    }, tick);
  }

  function togglePlay() {
    if (!video) return;
    if (video.paused && !reverseTimer) runShuttle(1);
    else stopShuttle();
  }

  if (video) {
    video.addEventListener("play", () => {
      playButton.textContent = "❚❚";
      if (!following) follow();
    });
    video.addEventListener("pause", () => {
      playButton.textContent = "▶";
      show(playheadFrame());
    });
    video.addEventListener("seeked", () => show(playheadFrame()));
    video.addEventListener("timeupdate", () => show(playheadFrame()));
  }
  playButton.addEventListener("click", togglePlay);
  document.getElementById("prev-shot").addEventListener("click", () => stepShot(-1));
  document.getElementById("next-shot").addEventListener("click", () => stepShot(1));
  document.getElementById("print-page").addEventListener("click", () => window.print());

  function stepShot(direction) {
    const frame = playheadFrame();
    const here = shotAt(frame);
    let index = shots.indexOf(here);
    if (direction < 0 && here && frame > here.frame) index += 1; // back to this shot's head first
    seekShot(shots[Math.min(Math.max(0, index + direction), shots.length - 1)]);
  }

  const interactive = "textarea, input, button, select, summary, a, details pre";
  for (const shot of shots) {
    shot.element.addEventListener("click", (event) => {
      if (event.target.closest(interactive)) return;
      seekShot(shot);
    });
  }
  for (const [id, button] of stripShots) {
    button.addEventListener("click", () => seekShot(shots.find((s) => s.id === id)));
  }
  for (const link of document.querySelectorAll("a[data-seek]")) {
    link.addEventListener("click", () => seekShot(shots.find((s) => s.id === link.dataset.seek)));
  }

  document.addEventListener("keydown", (event) => {
    if (event.target.closest && event.target.closest("textarea, input, select")) return;
    if (event.metaKey || event.ctrlKey || event.altKey) return;
    const key = event.key;
    let handled = true;
    if (key === " " || key === "Spacebar") togglePlay();
    else if (key === "k" || key === "K") stopShuttle();
    else if (key === "l" || key === "L") runShuttle(shuttle > 0 ? Math.min(shuttle * 2, 8) : 1);
    else if (key === "j" || key === "J") runShuttle(shuttle < 0 ? Math.max(shuttle * 2, -8) : -1);
    else if (key === "ArrowRight") {
      stopShuttle();
      seekFrame(playheadFrame() + 1);
    } else if (key === "ArrowLeft") {
      stopShuttle();
      seekFrame(playheadFrame() - 1);
    } else if (key === "ArrowDown") stepShot(1);
    else if (key === "ArrowUp") stepShot(-1);
    else handled = false;
    if (handled) event.preventDefault();
  });

  // ---- notes back: kept in localStorage, downloaded as notes.json ---------------------------
  const nameInput = document.getElementById("reviewer-name");
  const countOut = document.getElementById("note-count");

  function storedNotes() {
    try {
      const notes = JSON.parse(window.localStorage.getItem(storageKey) || "[]");
      return Array.isArray(notes) ? notes : [];
    } catch (error) {
      return [];
    }
  }

  function storeNotes(notes) {
    try {
      window.localStorage.setItem(storageKey, JSON.stringify(notes));
    } catch (error) {
      // storage full or disabled (some browsers on file://): notes live until the tab closes
    }
    memory = notes;
  }

  let memory = storedNotes();
  nameInput.value = window.localStorage.getItem(reviewerKey) || "";
  nameInput.addEventListener("input", () => {
    window.localStorage.setItem(reviewerKey, nameInput.value.trim());
  });

  function addNote(shotId, frame, text) {
    const trimmed = text.trim();
    if (!trimmed) return;
    memory = memory.concat([{
      id: `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
      reviewer: nameInput.value.trim(),
      shot: shotId,
      record_timecode: timecode(frame),
      frame: frame,
      text: trimmed,
      created: new Date().toISOString(),
    }]);
    storeNotes(memory);
    renderNotes();
  }

  function removeNote(id) {
    storeNotes(memory.filter((note) => note.id !== id));
    renderNotes();
  }

  function renderNotes() {
    for (const list of document.querySelectorAll("ul.notes-list")) {
      list.replaceChildren();
      for (const note of memory.filter((n) => n.shot === list.dataset.notesFor)) {
        const item = document.createElement("li");
        const meta = document.createElement("span");
        meta.className = "note-meta";
        meta.textContent = `${note.record_timecode}${note.reviewer ? " · " + note.reviewer : ""}`;
        const text = document.createElement("span");
        text.className = "note-text";
        text.textContent = note.text;
        const remove = document.createElement("button");
        remove.type = "button";
        remove.className = "remove-note";
        remove.title = "Remove this note";
        remove.textContent = "×";
        remove.addEventListener("click", () => removeNote(note.id));
        item.append(meta, text, remove);
        list.append(item);
      }
    }
    countOut.textContent = String(memory.length);
    const all = document.getElementById("all-notes");
    all.replaceChildren();
    for (const note of memory.slice().sort((a, b) => a.frame - b.frame)) {
      const item = document.createElement("li");
      const jump = document.createElement("button");
      jump.type = "button";
      jump.className = "note-jump";
      jump.textContent = `${note.record_timecode} ${note.shot}`;
      jump.addEventListener("click", () => {
        stopShuttle();
        seekFrame(note.frame);
      });
      const text = document.createElement("span");
      text.className = "note-text";
      text.textContent = note.reviewer ? `${note.reviewer}: ${note.text}` : note.text;
      item.append(jump, text);
      all.append(item);
    }
    document.getElementById("no-notes").hidden = memory.length > 0;
  }

  for (const form of document.querySelectorAll("form.shot-note")) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const shot = shots.find((s) => s.id === form.dataset.noteFor);
      const field = form.querySelector("textarea");
      addNote(shot.id, shot.frame, field.value);
      field.value = "";
    });
  }
  document.getElementById("playhead-note").addEventListener("submit", (event) => {
    event.preventDefault();
    const field = document.getElementById("playhead-text");
    const frame = playheadFrame();
    const shot = shotAt(frame);
    if (shot) addNote(shot.id, frame, field.value);
    field.value = "";
  });
  for (const field of document.querySelectorAll("form textarea")) {
    field.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        field.form.requestSubmit();
      }
    });
  }

  document.getElementById("download-notes").addEventListener("click", () => {
    const payload = {
      format: "previz-notes",
      version: 1,
      title: body.dataset.title,
      reviewer: nameInput.value.trim(),
      exported: new Date().toISOString(),
      notes: memory.map((note) => ({
        reviewer: note.reviewer || nameInput.value.trim(),
        shot: note.shot,
        record_timecode: note.record_timecode,
        text: note.text,
        frame: note.frame,
        created: note.created,
      })),
    };
    const blob = new Blob([JSON.stringify(payload, null, 2) + "\n"], { type: "application/json" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = "notes.json";
    document.body.append(link);
    link.click();
    link.remove();
    window.setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  });

  renderNotes();
  show(0);
})();
