"use strict";
// Both hands and the expert's ghost in 3D with raw WebGL (no library): joints as round
// points, bones as lines, a floor grid for depth, and an orbiting viewpoint moved with
// the mouse, a finger or the arrow keys. Positions are OpenXR's: metres, y up.

(function () {
  const BONES = [[0, 1]];
  BONES.push([1, 2], [2, 3], [3, 4], [4, 5]);  // thumb
  for (const base of [6, 11, 16, 21]) {  // index, middle, ring, little
    BONES.push([1, base]);
    for (let k = 0; k < 4; k++) BONES.push([base + k, base + k + 1]);
  }
  const TRAINEE = [0.90, 0.49, 0.13, 1.0];
  const GHOST = [0.23, 0.51, 0.96, 0.75];
  const GRID = [0.55, 0.58, 0.62, 0.35];

  const VERTEX = `attribute vec3 p; uniform mat4 mvp; uniform float size;
    void main() { gl_Position = mvp * vec4(p, 1.0); gl_PointSize = size; }`;
  const FRAGMENT = `precision mediump float; uniform vec4 color; uniform float round;
    void main() { if (round > 0.5 && length(gl_PointCoord - 0.5) > 0.5) discard;
      gl_FragColor = color; }`;

  function perspective(fovy, aspect, near, far) {
    const f = 1 / Math.tan(fovy / 2), nf = 1 / (near - far);
    return new Float32Array([f / aspect, 0, 0, 0, 0, f, 0, 0, 0, 0, (far + near) * nf, -1,
      0, 0, 2 * far * near * nf, 0]);
  }
  function sub(a, b) { return [a[0] - b[0], a[1] - b[1], a[2] - b[2]]; }
  function cross(a, b) {
    return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
  }
  function dot(a, b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }
  function unit(a) { const n = Math.hypot(a[0], a[1], a[2]) || 1; return [a[0] / n, a[1] / n, a[2] / n]; }
  function lookAt(eye, target, up) {
    const z = unit(sub(eye, target)), x = unit(cross(up, z)), y = cross(z, x);
    return new Float32Array([x[0], y[0], z[0], 0, x[1], y[1], z[1], 0, x[2], y[2], z[2], 0,
      -dot(x, eye), -dot(y, eye), -dot(z, eye), 1]);
  }
  function multiply(a, b) {
    const out = new Float32Array(16);
    for (let c = 0; c < 4; c++) for (let r = 0; r < 4; r++) {
      let s = 0;
      for (let k = 0; k < 4; k++) s += a[k * 4 + r] * b[c * 4 + k];
      out[c * 4 + r] = s;
    }
    return out;
  }

  class HandView {
    constructor(canvas) {
      this.canvas = canvas;
      const gl = canvas.getContext("webgl", {antialias: true, preserveDrawingBuffer: true});
      this.gl = gl;
      this.frame = null;
      this.target = [0, 1.1, -0.35];
      this.drawn = {frames: 0, trainee: 0, ghost: 0};
      this.reset();
      if (!gl) return;
      const program = gl.createProgram();
      for (const [kind, text] of [[gl.VERTEX_SHADER, VERTEX], [gl.FRAGMENT_SHADER, FRAGMENT]]) {
        const shader = gl.createShader(kind);
        gl.shaderSource(shader, text);
        gl.compileShader(shader);
        gl.attachShader(program, shader);
      }
      gl.linkProgram(program);
      gl.useProgram(program);
      this.loc = {p: gl.getAttribLocation(program, "p"), mvp: gl.getUniformLocation(program, "mvp"),
        size: gl.getUniformLocation(program, "size"), color: gl.getUniformLocation(program, "color"),
        round: gl.getUniformLocation(program, "round")};
      this.buffer = gl.createBuffer();
      gl.enable(gl.BLEND);
      gl.blendFunc(gl.SRC_ALPHA, gl.ONE_MINUS_SRC_ALPHA);
      gl.enable(gl.DEPTH_TEST);
      this._controls();
    }

    reset() { this.yaw = 0.5; this.pitch = 0.35; this.distance = 0.4; }

    _controls() {
      const c = this.canvas;
      let last = null;
      c.addEventListener("pointerdown", (e) => { last = [e.clientX, e.clientY]; c.setPointerCapture(e.pointerId); });
      c.addEventListener("pointerup", () => { last = null; });
      c.addEventListener("pointermove", (e) => {
        if (!last) return;
        this.turn((e.clientX - last[0]) * 0.01, (e.clientY - last[1]) * 0.01);
        last = [e.clientX, e.clientY];
      });
      c.addEventListener("wheel", (e) => { e.preventDefault(); this.zoom(e.deltaY > 0 ? 1.1 : 1 / 1.1); },
        {passive: false});
      c.addEventListener("keydown", (e) => {
        const moves = {ArrowLeft: [-0.1, 0], ArrowRight: [0.1, 0], ArrowUp: [0, -0.1], ArrowDown: [0, 0.1]};
        if (moves[e.key]) { e.preventDefault(); this.turn(...moves[e.key]); }
        if (e.key === "+" || e.key === "=") this.zoom(1 / 1.1);
        if (e.key === "-") this.zoom(1.1);
      });
    }

    turn(dyaw, dpitch) {
      this.yaw += dyaw;
      this.pitch = Math.max(-1.4, Math.min(1.4, this.pitch + dpitch));
    }

    zoom(factor) { this.distance = Math.max(0.2, Math.min(4, this.distance * factor)); }

    setFrame(frame) {
      this.frame = frame;
      // Follow the hands slowly, so the viewpoint does not shake with them.
      const points = this._points(frame && frame.hands, frame && frame.hands_active, frame && frame.hands_valid)
        .concat(this._points(frame && frame.ghost, frame && frame.ghost_active, null));
      if (points.length) {
        const mean = [0, 0, 0];
        for (const p of points) for (let k = 0; k < 3; k++) mean[k] += p[k] / points.length;
        for (let k = 0; k < 3; k++) this.target[k] += 0.2 * (mean[k] - this.target[k]);
      }
    }

    _points(hands, active, valid) {
      const out = [];
      if (!hands) return out;
      for (let h = 0; h < hands.length; h++) {
        if (!active || !active[h]) continue;
        for (let j = 0; j < hands[h].length; j++) {
          const p = hands[h][j];
          if (p && p[0] !== null && (!valid || valid[h][j])) out.push(p);
        }
      }
      return out;
    }

    _segments(hands, active, valid) {
      const out = [];
      if (!hands) return out;
      for (let h = 0; h < hands.length; h++) {
        if (!active || !active[h]) continue;
        for (const [a, b] of BONES) {
          const pa = hands[h][a], pb = hands[h][b];
          if (!pa || !pb || pa[0] === null || pb[0] === null) continue;
          if (valid && (!valid[h][a] || !valid[h][b])) continue;
          out.push(pa, pb);
        }
      }
      return out;
    }

    _draw(mode, points, color, size) {
      const gl = this.gl;
      if (!points.length) return;
      gl.bindBuffer(gl.ARRAY_BUFFER, this.buffer);
      gl.bufferData(gl.ARRAY_BUFFER, new Float32Array(points.flat()), gl.STREAM_DRAW);
      gl.enableVertexAttribArray(this.loc.p);
      gl.vertexAttribPointer(this.loc.p, 3, gl.FLOAT, false, 0, 0);
      gl.uniform4fv(this.loc.color, color);
      gl.uniform1f(this.loc.size, size);
      gl.uniform1f(this.loc.round, mode === gl.POINTS ? 1 : 0);
      gl.drawArrays(mode, 0, points.length);
    }

    draw() {
      const gl = this.gl;
      if (!gl) return;
      const c = this.canvas;
      gl.viewport(0, 0, c.width, c.height);
      gl.clearColor(0.10, 0.11, 0.13, 1);
      gl.clear(gl.COLOR_BUFFER_BIT | gl.DEPTH_BUFFER_BIT);
      const t = this.target, d = this.distance;
      const eye = [t[0] + d * Math.cos(this.pitch) * Math.sin(this.yaw), t[1] + d * Math.sin(this.pitch),
        t[2] + d * Math.cos(this.pitch) * Math.cos(this.yaw)];
      const mvp = multiply(perspective(0.9, c.width / c.height, 0.02, 20), lookAt(eye, t, [0, 1, 0]));
      gl.uniformMatrix4fv(this.loc.mvp, false, mvp);
      const grid = [], y = t[1] - 0.25;
      for (let k = -5; k <= 5; k++) {
        grid.push([t[0] + k * 0.1, y, t[2] - 0.5], [t[0] + k * 0.1, y, t[2] + 0.5]);
        grid.push([t[0] - 0.5, y, t[2] + k * 0.1], [t[0] + 0.5, y, t[2] + k * 0.1]);
      }
      this._draw(gl.LINES, grid, GRID, 1);
      const f = this.frame || {};
      const ghost = this._points(f.ghost, f.ghost_active, null);
      const trainee = this._points(f.hands, f.hands_active, f.hands_valid);
      this._draw(gl.LINES, this._segments(f.ghost, f.ghost_active, null), GHOST, 1);
      this._draw(gl.POINTS, ghost, GHOST, 7);
      this._draw(gl.LINES, this._segments(f.hands, f.hands_active, f.hands_valid), TRAINEE, 1);
      this._draw(gl.POINTS, trainee, TRAINEE, 9);
      this.drawn = {frames: this.drawn.frames + 1, trainee: trainee.length, ghost: ghost.length,
        first: trainee.length ? trainee[0].slice() : null};
    }
  }
  window.HandView = HandView;
})();
