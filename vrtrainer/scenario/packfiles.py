"""Read-only, bounded access to the files of a scenario pack (a folder or a .zip).

A pack comes from strangers, so nothing in it is trusted: every file is
reached through :class:`PackFiles`, which only ever hands out bytes (or a copy
in a private temporary folder) after checking that

* the path is relative, uses ``/``, has no ``..``, drive or empty component;
* the pack holds only regular files and folders: no symlinks, no hard links to
  files elsewhere (``st_nlink > 1``), no devices or sockets; zip members that
  are symlinks or encrypted are refused;
* the file's type is one a pack may carry (data only, see :data:`ALLOWED_SUFFIXES`)
  and its first bytes are not an executable or a pickle (every file is
  sniffed when the pack is opened, referenced or not);
* sizes stay under the caps below (per file, whole pack, member count, zip
  compression ratio) checked on the declared sizes first and again while reading.

Nothing is ever written outside the private temporary folder, and member names
are never used as paths there.
"""

from __future__ import annotations

import codecs
import os
import shutil
import stat
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from vrtrainer.errors import InvalidFileError

#: Cap on a single file of a pack, uncompressed (bytes).
MAX_FILE_BYTES = 128 * 1024 * 1024
#: Cap on a whole pack, uncompressed (bytes).
MAX_PACK_BYTES = 512 * 1024 * 1024
#: Cap on the number of files and folders in a pack.
MAX_ENTRIES = 2000
#: Cap on folder nesting inside a pack.
MAX_DEPTH = 16
#: Cap on any zip member's compression ratio (uncompressed / compressed).
MAX_RATIO = 200
#: Zip members this small may compress better than the ratio cap (headers, text).
RATIO_EXEMPT_BYTES = 64 * 1024

#: File types a pack may carry: data only. Everything else is refused, in
#: particular code (.py, .so, .exe, .sh ...), pickles (.pkl, .pickle, .joblib)
#: and bare numpy files (.npy, .npz) - arrays travel in vrtrainer archives
#: (.vrtake, .vrref), whose reader refuses object dtypes.
ALLOWED_SUFFIXES = frozenset(
    {".toml", ".glb", ".gltf", ".bin", ".png", ".jpg", ".jpeg", ".ktx2",
     ".vrtake", ".vrref", ".md", ".txt", ".wav"}
)
#: Extension-less files allowed at any level (documentation).
ALLOWED_BARE_NAMES = frozenset({"LICENSE", "LICENCE", "README", "AUTHORS", "NOTICE", "COPYING"})

#: Leading bytes of executables and pickles, refused whatever the file is called.
_FORBIDDEN_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x7fELF", "an ELF executable or library"),
    (b"MZ", "a Windows executable"),
    (b"\xfe\xed\xfa\xce", "a Mach-O executable"),
    (b"\xfe\xed\xfa\xcf", "a Mach-O executable"),
    (b"\xce\xfa\xed\xfe", "a Mach-O executable"),
    (b"\xcf\xfa\xed\xfe", "a Mach-O executable"),
    (b"\xca\xfe\xba\xbe", "a Mach-O universal binary or Java class"),
    (b"#!", "a script (starts with #!)"),
    (b"\x80\x02", "a Python pickle"),
    (b"\x80\x03", "a Python pickle"),
    (b"\x80\x04", "a Python pickle"),
    (b"\x80\x05", "a Python pickle"),
)


#: What the first bytes of a file must be for its suffix: a pickle or anything else named
#: ``.png`` is refused by its content. ``.bin`` (glTF buffers) is raw data by nature.
_EXPECTED_MAGIC: dict[str, tuple[tuple[bytes, ...], str]] = {
    ".png": ((b"\x89PNG\r\n\x1a\n",), "a PNG image"),
    ".jpg": ((b"\xff\xd8\xff",), "a JPEG image"),
    ".jpeg": ((b"\xff\xd8\xff",), "a JPEG image"),
    ".ktx2": ((b"\xabKTX 20\xbb",), "a KTX2 texture"),
    ".glb": ((b"glTF",), "a GLB mesh"),
    ".vrtake": ((b"PK\x03\x04",), "a vrtrainer archive (zip)"),
    ".vrref": ((b"PK\x03\x04",), "a vrtrainer archive (zip)"),
    ".wav": ((b"RIFF",), "a WAV sound"),
}
_TEXT_SUFFIXES = frozenset({".toml", ".gltf", ".md", ".txt", ""})


def check_relative_path(pack: Path | str, rel: str) -> PurePosixPath:
    """Return ``rel`` as a clean pack-relative path, or refuse it.

    Refused: absolute paths, drive letters, backslashes, ``..``, ``.``, empty
    components and control characters - anything that could name a file
    outside the pack or be read differently on another system.
    """
    if not isinstance(rel, str) or not rel:
        raise InvalidFileError(pack, f"empty or non-text path {rel!r}")
    if any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F for c in rel) or "\\" in rel:
        raise InvalidFileError(pack, f"path {rel!r} has a backslash or control character")
    if rel.startswith("/") or (len(rel) > 1 and rel[1] == ":"):
        raise InvalidFileError(pack, f"path {rel!r} is absolute; pack paths must be relative")
    parts = rel.split("/")
    if any(p in ("", ".", "..") for p in parts):
        raise InvalidFileError(
            pack, f"path {rel!r} leaves the pack or is not normal (no '..', '.', '//')"
        )
    if len(parts) > MAX_DEPTH:
        raise InvalidFileError(pack, f"path {rel!r} is nested deeper than {MAX_DEPTH} folders")
    return PurePosixPath(rel)


def check_file_type(pack: Path | str, rel: str) -> None:
    """Refuse file types a data-only pack has no business carrying."""
    name = PurePosixPath(rel).name
    suffix = PurePosixPath(name).suffix.lower()
    if suffix in ALLOWED_SUFFIXES or (not suffix and name.upper() in ALLOWED_BARE_NAMES):
        return
    raise InvalidFileError(
        pack,
        f"{rel!r}: file type {suffix or name!r} is not allowed in a scenario pack "
        f"(packs carry data only: {', '.join(sorted(ALLOWED_SUFFIXES))}; "
        "no code, pickles or bare .npy/.npz)",
    )


def check_magic(pack: Path | str, rel: str, head: bytes) -> None:
    """Refuse content that is an executable or a pickle, whatever its name."""
    for magic, what in _FORBIDDEN_MAGIC:
        if head.startswith(magic):
            raise InvalidFileError(pack, f"{rel!r} is {what}; packs may not carry code or pickles")
    suffix = PurePosixPath(rel).suffix.lower()
    if suffix in _EXPECTED_MAGIC:
        magics, what = _EXPECTED_MAGIC[suffix]
        if not any(head.startswith(m) for m in magics):
            raise InvalidFileError(pack, f"{rel!r} is not {what} (its first bytes say otherwise)")
    elif suffix in _TEXT_SUFFIXES:
        try:
            text = codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        except UnicodeDecodeError:
            text = "\0"
        if "\0" in text:
            raise InvalidFileError(pack, f"{rel!r} is not UTF-8 text")


class PackFiles:
    """The files of one pack, folder or zip, behind every safety check.

    Use as a context manager (or call :meth:`close`) so that the private
    temporary folder used by :meth:`materialize` is removed.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._tmp: Path | None = None
        self._zip: zipfile.ZipFile | None = None
        self._members: dict[str, zipfile.ZipInfo] = {}
        self._sizes: dict[str, int] = {}
        try:
            st = self.path.stat()
        except OSError as exc:
            raise InvalidFileError(self.path, f"cannot open pack: {exc.strerror or exc}") from None
        if stat.S_ISDIR(st.st_mode):
            self.root: Path | None = self.path.resolve()
            self._scan_folder()
        elif stat.S_ISREG(st.st_mode):
            self.root = None
            self._open_zip(st.st_size)
        else:
            raise InvalidFileError(self.path, "a pack is a folder or a .zip file")

    # -- inventory ---------------------------------------------------------

    def _scan_folder(self) -> None:
        assert self.root is not None
        total = 0
        stack: list[tuple[Path, str, int]] = [(self.root, "", 0)]
        count = 0
        while stack:
            folder, prefix, depth = stack.pop()
            try:
                entries = list(os.scandir(folder))
            except OSError as exc:
                raise InvalidFileError(folder, f"cannot list: {exc.strerror or exc}") from None
            for entry in entries:
                count += 1
                if count > MAX_ENTRIES:
                    raise InvalidFileError(
                        self.path, f"pack has more than {MAX_ENTRIES} files and folders"
                    )
                rel = prefix + entry.name
                st = entry.stat(follow_symlinks=False)
                if stat.S_ISLNK(st.st_mode):
                    raise InvalidFileError(
                        self.path, f"{rel!r} is a symbolic link; packs may not contain links"
                    )
                if stat.S_ISDIR(st.st_mode):
                    if depth + 1 >= MAX_DEPTH:
                        raise InvalidFileError(
                            self.path, f"{rel!r} is nested deeper than {MAX_DEPTH} folders"
                        )
                    stack.append((Path(entry.path), rel + "/", depth + 1))
                    continue
                if not stat.S_ISREG(st.st_mode):
                    raise InvalidFileError(self.path, f"{rel!r} is not a regular file")
                if st.st_nlink > 1:
                    raise InvalidFileError(
                        self.path,
                        f"{rel!r} has {st.st_nlink} hard links; a pack file may not be "
                        "linked to files outside it",
                    )
                check_relative_path(self.path, rel)
                check_file_type(self.path, rel)
                if st.st_size > MAX_FILE_BYTES:
                    raise InvalidFileError(
                        self.path, f"{rel!r} is {st.st_size} bytes, over the cap {MAX_FILE_BYTES}"
                    )
                total += st.st_size
                if total > MAX_PACK_BYTES:
                    raise InvalidFileError(
                        self.path, f"pack is over the cap of {MAX_PACK_BYTES} bytes"
                    )
                self._sizes[rel] = st.st_size
                check_magic(self.path, rel, self._read_file(rel, st.st_size, head=8))

    def _open_zip(self, size: int) -> None:
        if size > MAX_PACK_BYTES:
            raise InvalidFileError(
                self.path, f"pack is {size} bytes, over the cap {MAX_PACK_BYTES}"
            )
        try:
            self._zip = zipfile.ZipFile(self.path)
            infos = self._zip.infolist()
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
            raise InvalidFileError(self.path, f"not a folder or a valid .zip: {exc}") from None
        if len(infos) > MAX_ENTRIES:
            raise InvalidFileError(
                self.path, f"zip has {len(infos)} members, over the cap of {MAX_ENTRIES}"
            )
        if any(not i.filename for i in infos):
            raise InvalidFileError(self.path, "zip has a member with an empty name")
        total = 0
        names = [i.filename for i in infos if not i.is_dir()]
        prefix = _common_root(names)
        for info in infos:
            name = info.filename
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise InvalidFileError(self.path, f"zip member {name!r} is a symbolic link")
            if info.flag_bits & 0x1:
                raise InvalidFileError(self.path, f"zip member {name!r} is encrypted")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise InvalidFileError(
                    self.path, f"zip member {name!r} uses compression method "
                    f"{info.compress_type}; only stored and deflate are accepted"
                )
            check_relative_path(self.path, name.rstrip("/") if info.is_dir() else name)
            if info.is_dir():
                continue
            rel = name[len(prefix):]
            check_file_type(self.path, rel)
            if info.file_size > MAX_FILE_BYTES:
                raise InvalidFileError(
                    self.path,
                    f"zip member {name!r} unpacks to {info.file_size} bytes, "
                    f"over the cap {MAX_FILE_BYTES} (zip bomb?)",
                )
            if info.file_size > RATIO_EXEMPT_BYTES and (
                info.compress_size == 0 or info.file_size / info.compress_size > MAX_RATIO
            ):
                raise InvalidFileError(
                    self.path,
                    f"zip member {name!r} compresses more than {MAX_RATIO}:1 (zip bomb?)",
                )
            total += info.file_size
            if total > MAX_PACK_BYTES:
                raise InvalidFileError(
                    self.path,
                    f"zip unpacks to more than the cap of {MAX_PACK_BYTES} bytes (zip bomb?)",
                )
            if rel in self._members:
                raise InvalidFileError(self.path, f"zip member {name!r} appears twice")
            self._members[rel] = info
            self._sizes[rel] = info.file_size
            check_magic(self.path, rel, self._read_member(rel, info.file_size, head=8))

    # -- access ------------------------------------------------------------

    def names(self) -> list[str]:
        """Pack-relative names of every file in the pack, sorted."""
        return sorted(self._sizes)

    def exists(self, rel: str) -> bool:
        """True if ``rel`` names a file of the pack (after path checks)."""
        check_relative_path(self.path, rel)
        return rel in self._sizes

    def size(self, rel: str) -> int:
        """Uncompressed size of ``rel`` in bytes."""
        self._require(rel)
        return self._sizes[rel]

    def _require(self, rel: str) -> None:
        check_relative_path(self.path, rel)
        if rel not in self._sizes:
            raise InvalidFileError(self.path, f"{rel!r}: no such file in the pack")

    def read_bytes(self, rel: str, max_bytes: int = MAX_FILE_BYTES) -> bytes:
        """Contents of ``rel``, refused if over ``max_bytes`` or if it is code or a pickle."""
        self._require(rel)
        declared = self._sizes[rel]
        if declared > max_bytes:
            raise InvalidFileError(
                self.path, f"{rel!r} is {declared} bytes, over the cap of {max_bytes} for it"
            )
        if self._zip is not None:
            data = self._read_member(rel, declared)
        else:
            data = self._read_file(rel, declared)
        check_magic(self.path, rel, data[:8])
        return data

    def _read_file(self, rel: str, declared: int, head: int | None = None) -> bytes:
        assert self.root is not None
        path = self.root.joinpath(*rel.split("/"))
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        try:
            fd = os.open(path, flags)
        except OSError as exc:
            raise InvalidFileError(self.path, f"{rel!r}: cannot open: {exc.strerror}") from None
        with os.fdopen(fd, "rb") as f:
            st = os.fstat(f.fileno())
            if not stat.S_ISREG(st.st_mode) or st.st_nlink > 1:
                raise InvalidFileError(self.path, f"{rel!r} changed into a link or special file")
            data = f.read(declared + 1 if head is None else head)
        if head is None and len(data) != declared:
            raise InvalidFileError(self.path, f"{rel!r} changed size while being read")
        return data

    def _read_member(self, rel: str, declared: int, head: int | None = None) -> bytes:
        assert self._zip is not None
        info = self._members[rel]
        try:
            with self._zip.open(info) as f:
                data = f.read(declared + 1 if head is None else head)
        except Exception as exc:  # BadZipFile, zlib.error, EOFError, NotImplementedError ...
            raise InvalidFileError(self.path, f"zip member {rel!r} is damaged: {exc}") from None
        if head is None and len(data) != declared:
            raise InvalidFileError(self.path, f"zip member {rel!r} is not the size it declares")
        return data

    def materialize(self, rel: str, max_bytes: int = MAX_FILE_BYTES) -> Path:
        """A real file holding ``rel``, for readers that want a path.

        Folder packs give the file itself; zip packs copy the member into a
        private temporary folder under a generated name (never the member's).
        """
        data_needed = self._zip is not None
        if not data_needed:
            self._require(rel)
            assert self.root is not None
            if self._sizes[rel] > max_bytes:
                raise InvalidFileError(self.path, f"{rel!r} is over the cap of {max_bytes} bytes")
            with open(self.root.joinpath(*rel.split("/")), "rb") as f:
                check_magic(self.path, rel, f.read(8))
            return self.root.joinpath(*rel.split("/"))
        data = self.read_bytes(rel, max_bytes)
        if self._tmp is None:
            self._tmp = Path(tempfile.mkdtemp(prefix="vrtrainer-pack-"))
        out = self._tmp / f"m{len(os.listdir(self._tmp)):05d}{PurePosixPath(rel).suffix.lower()}"
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        return out

    def close(self) -> None:
        """Close the zip and remove the private temporary folder."""
        if self._zip is not None:
            self._zip.close()
            self._zip = None
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def __enter__(self) -> PackFiles:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _common_root(names: list[str]) -> str:
    """The single top folder of a zip made by zipping a pack folder, or ''.

    ``zip -r pack.zip welding/`` stores ``welding/scenario.toml``; zipping the
    folder's contents stores ``scenario.toml``. Both are accepted.
    """
    if not names or "scenario.toml" in names:
        return ""
    first = names[0].split("/", 1)[0]
    if all(n.startswith(first + "/") for n in names) and f"{first}/scenario.toml" in names:
        return first + "/"
    return ""
