"""GLSL 3.30 core sources of the renderer's programs and their compilation."""

from __future__ import annotations

from OpenGL import GL

from vrtrainer.errors import RenderError

#: Per-eye block shared by all programs (std140; 96 bytes).
VIEW_BLOCK = """
layout(std140) uniform ViewBlock {
    mat4 view_proj;
    vec4 eye_pos;
    vec4 light_dir;   // direction the light travels, world space
};
"""

SHADE = """
vec3 shade(vec3 base, vec3 n, vec3 world) {
    float diffuse = max(dot(n, -light_dir.xyz), 0.0);
    float sky = 0.5 + 0.5 * n.y;
    vec3 v = normalize(eye_pos.xyz - world);
    vec3 h = normalize(v - light_dir.xyz);
    // x^40 by squaring: the same highlight as pow(), without llvmpipe's exp2/log2.
    float c = max(dot(n, h), 0.0);
    float c2 = c * c;
    float c4 = c2 * c2;
    float c8 = c4 * c4;
    float c32 = c8 * c8;
    c32 *= c32;
    float spec = c32 * c8 * 0.18;
    return base * (0.30 + 0.22 * sky + 0.55 * diffuse) + vec3(spec);
}
"""

MESH_VS = "#version 330 core\n" + VIEW_BLOCK + """
uniform mat4 model;
layout(location = 0) in vec3 position;
layout(location = 1) in vec3 normal;
layout(location = 2) in vec4 color;
out vec3 v_world;
out vec3 v_normal;
out vec4 v_color;
void main() {
    vec4 world = model * vec4(position, 1.0);
    v_world = world.xyz;
    v_normal = mat3(model) * normal;
    v_color = color;
    gl_Position = view_proj * world;
}
"""

MESH_FS = "#version 330 core\n" + VIEW_BLOCK + SHADE + """
in vec3 v_world;
in vec3 v_normal;
in vec4 v_color;
out vec4 frag;
void main() {
    vec3 n = normalize(v_normal);
    if (!gl_FrontFacing) n = -n;
    frag = vec4(shade(v_color.rgb, n, v_world), v_color.a);
}
"""

#: The floor (vertex alpha 0), most of the pixels of a frame: matte, lit from above, so
#: its light is one number per frame, and 0.5 m checks fading to their mean where they
#: get smaller than a pixel (no shimmering at grazing angles).
FLOOR_FS = "#version 330 core\n" + VIEW_BLOCK + """
in vec3 v_world;
in vec3 v_normal;
in vec4 v_color;
out vec4 frag;
void main() {
    vec2 cell = v_world.xz / 0.5;
    float check = mod(floor(cell.x) + floor(cell.y), 2.0);
    float blur = clamp(2.0 * max(fwidth(cell.x), fwidth(cell.y)), 0.0, 1.0);
    float light = 0.52 + 0.55 * max(-light_dir.y, 0.0);
    frag = vec4(v_color.rgb * (mix(mix(0.86, 1.0, check), 0.93, blur) * light), 1.0);
}
"""

HAND_VS = "#version 330 core\n" + VIEW_BLOCK + """
layout(location = 0) in vec3 corner;   // unit cube corner in [-1, 1]
layout(location = 1) in vec4 i_a;      // centre A, radius A
layout(location = 2) in vec4 i_b;      // centre B, radius B
layout(location = 3) in vec4 i_color_a;
layout(location = 4) in vec4 i_color_b;
out vec3 v_world;
flat out vec3 v_a;
flat out vec3 v_b;
flat out float v_r;
flat out vec4 v_color_a;
flat out vec4 v_color_b;
void main() {
    vec3 d = i_b.xyz - i_a.xyz;
    float len = length(d);
    vec3 z = len > 1e-6 ? d / len : vec3(0.0, 0.0, 1.0);
    vec3 up = abs(z.y) < 0.99 ? vec3(0.0, 1.0, 0.0) : vec3(1.0, 0.0, 0.0);
    vec3 x = normalize(cross(up, z));
    vec3 y = cross(z, x);
    float r = 0.5 * (i_a.w + i_b.w);
    // A box just containing the capsule (a little margin for the silhouette's pixels).
    float m = r * 1.02;
    v_world = 0.5 * (i_a.xyz + i_b.xyz) + x * (m * corner.x) + y * (m * corner.y)
              + z * ((0.5 * len + m) * corner.z);
    v_a = i_a.xyz;
    v_b = i_b.xyz;
    v_r = r;
    v_color_a = i_color_a;
    v_color_b = i_color_b;
    gl_Position = view_proj * vec4(v_world, 1.0);
}
"""

HAND_FS = "#version 330 core\n" + VIEW_BLOCK + SHADE + """
in vec3 v_world;
flat in vec3 v_a;
flat in vec3 v_b;
flat in float v_r;
flat in vec4 v_color_a;
flat in vec4 v_color_b;
out vec4 frag;

// Nearest hit of the ray o + t d (|d| = 1) with a sphere; -1 if none.
float hit_sphere(vec3 o, vec3 d, vec3 c, float r) {
    vec3 oc = o - c;
    float b = dot(d, oc);
    float disc = b * b - (dot(oc, oc) - r * r);
    return disc < 0.0 ? -1.0 : -b - sqrt(disc);
}

void main() {
    vec3 o = eye_pos.xyz;
    vec3 d = normalize(v_world - o);
    vec3 axis = v_b - v_a;
    float len2 = dot(axis, axis);
    float t = -1.0;
    float s = 0.0;  // 0 at A .. 1 at B, where the hit is along the axis
    if (len2 > 1e-12) {
        // Side: points at distance r from the axis line, i.e. |w - (w.u) u|^2 = r^2
        // for w = o + t d - A and u the unit axis, a quadratic in t.
        vec3 u = axis / sqrt(len2);
        vec3 w0 = o - v_a;
        float du = dot(d, u);
        float wu = dot(w0, u);
        float qa = 1.0 - du * du;
        float qb = dot(d, w0) - du * wu;
        float qc = dot(w0, w0) - wu * wu - v_r * v_r;
        float disc = qb * qb - qa * qc;
        if (qa > 1e-9 && disc >= 0.0) {
            float ts = (-qb - sqrt(disc)) / qa;
            float along = (wu + ts * du) / sqrt(len2);
            if (along >= 0.0 && along <= 1.0) {
                t = ts;
                s = along;
            }
        }
        if (t < 0.0) {
            // Otherwise the ray can only enter through one of the end spheres.
            float ta = hit_sphere(o, d, v_a, v_r);
            float tb = hit_sphere(o, d, v_b, v_r);
            if (ta > 0.0 && (tb <= 0.0 || ta < tb)) { t = ta; s = 0.0; }
            else if (tb > 0.0) { t = tb; s = 1.0; }
        }
    } else {
        t = hit_sphere(o, d, v_a, v_r);
    }
    if (t <= 0.0) discard;
    vec3 p = o + t * d;
    vec3 centre = v_a + axis * s;
    vec3 n = normalize(p - centre);
    vec4 color = mix(v_color_a, v_color_b, s);
    vec3 c = shade(color.rgb, n, p);
    if (color.a < 0.99) {
        // Translucent (ghost, inferred joints): a rim light keeps the outline readable.
        float rim = 1.0 - abs(dot(n, d));
        c += color.rgb * rim * 0.5;
    }
    vec4 clip = view_proj * vec4(p, 1.0);
    gl_FragDepth = 0.5 * (clip.z / clip.w) + 0.5;
    frag = vec4(c, color.a);
}
"""

UI_VS = "#version 330 core\n" + VIEW_BLOCK + """
uniform mat4 model;
layout(location = 0) in vec2 position;
layout(location = 1) in vec2 uv;
layout(location = 2) in vec4 color;
out vec2 v_uv;
out vec4 v_color;
void main() {
    v_uv = uv;
    v_color = color;
    gl_Position = view_proj * model * vec4(position, 0.0, 1.0);
}
"""

UI_FS = """#version 330 core
uniform sampler2D atlas;
in vec2 v_uv;
in vec4 v_color;
out vec4 frag;
void main() {
    float a = texture(atlas, v_uv).r * v_color.a;
    if (a < 0.004) discard;
    frag = vec4(v_color.rgb, a);
}
"""


def _text(log: bytes | str) -> str:
    return log.decode(errors="replace") if isinstance(log, bytes) else str(log)


def _compile(kind: int, source: str, name: str) -> int:
    shader = GL.glCreateShader(kind)
    GL.glShaderSource(shader, source)
    GL.glCompileShader(shader)
    if not GL.glGetShaderiv(shader, GL.GL_COMPILE_STATUS):
        log = _text(GL.glGetShaderInfoLog(shader))
        raise RenderError(f"shader {name} does not compile: {log}")
    return shader


def build_program(name: str, vertex: str, fragment: str) -> int:
    """Compile and link a program; its ViewBlock (if any) is bound to block binding 0."""
    vs = _compile(GL.GL_VERTEX_SHADER, vertex, f"{name}.vert")
    fs = _compile(GL.GL_FRAGMENT_SHADER, fragment, f"{name}.frag")
    program = GL.glCreateProgram()
    GL.glAttachShader(program, vs)
    GL.glAttachShader(program, fs)
    GL.glLinkProgram(program)
    GL.glDeleteShader(vs)
    GL.glDeleteShader(fs)
    if not GL.glGetProgramiv(program, GL.GL_LINK_STATUS):
        log = _text(GL.glGetProgramInfoLog(program))
        raise RenderError(f"program {name} does not link: {log}")
    block = GL.glGetUniformBlockIndex(program, "ViewBlock")
    if block != GL.GL_INVALID_INDEX:
        GL.glUniformBlockBinding(program, block, 0)
    return program
