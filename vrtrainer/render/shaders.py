"""GLSL 3.30 core sources of the renderer's three programs and their compilation."""

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
    float spec = pow(max(dot(n, h), 0.0), 40.0) * 0.18;
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

HAND_VS = "#version 330 core\n" + VIEW_BLOCK + """
layout(location = 0) in vec4 tmpl;     // unit direction, end (0 at A, 1 at B)
layout(location = 1) in vec4 i_a;      // centre A, radius A
layout(location = 2) in vec4 i_b;      // centre B, radius B
layout(location = 3) in vec4 i_color_a;
layout(location = 4) in vec4 i_color_b;
out vec3 v_world;
out vec3 v_normal;
out vec4 v_color;
void main() {
    vec3 d = i_b.xyz - i_a.xyz;
    float len = length(d);
    vec3 z = len > 1e-6 ? d / len : vec3(0.0, 0.0, 1.0);
    vec3 up = abs(z.y) < 0.99 ? vec3(0.0, 1.0, 0.0) : vec3(1.0, 0.0, 0.0);
    vec3 x = normalize(cross(up, z));
    vec3 y = cross(z, x);
    vec3 n = x * tmpl.x + y * tmpl.y + z * tmpl.z;
    vec3 centre = mix(i_a.xyz, i_b.xyz, tmpl.w);
    float r = mix(i_a.w, i_b.w, tmpl.w);
    v_world = centre + n * r;
    v_normal = n;
    v_color = mix(i_color_a, i_color_b, tmpl.w);
    gl_Position = view_proj * vec4(v_world, 1.0);
}
"""

HAND_FS = "#version 330 core\n" + VIEW_BLOCK + SHADE + """
in vec3 v_world;
in vec3 v_normal;
in vec4 v_color;
out vec4 frag;
void main() {
    vec3 n = normalize(v_normal);
    vec3 c = shade(v_color.rgb, n, v_world);
    if (v_color.a < 0.99) {
        // Translucent (ghost, inferred joints): a rim light keeps the outline readable.
        float rim = 1.0 - abs(dot(n, normalize(eye_pos.xyz - v_world)));
        c += v_color.rgb * rim * 0.5;
    }
    frag = vec4(c, v_color.a);
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


def _compile(kind: int, source: str, name: str) -> int:
    shader = GL.glCreateShader(kind)
    GL.glShaderSource(shader, source)
    GL.glCompileShader(shader)
    if not GL.glGetShaderiv(shader, GL.GL_COMPILE_STATUS):
        log = GL.glGetShaderInfoLog(shader).decode(errors="replace")
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
        log = GL.glGetProgramInfoLog(program).decode(errors="replace")
        raise RenderError(f"program {name} does not link: {log}")
    block = GL.glGetUniformBlockIndex(program, "ViewBlock")
    if block != GL.GL_INVALID_INDEX:
        GL.glUniformBlockBinding(program, block, 0)
    return program
