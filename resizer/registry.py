"""Named registries: each kind of thing (backbone, dataset, resizer, distortion, task, table) is
defined once, by the registry that owns it, and everything else asks the registry.

A registry may own a package: its entries are the package's modules, one file each, and
they are found without editing any list. Registries differ in how a module becomes an entry:

* `Registry(kind, package=...)`: every module of the package is imported on the first lookup
  and registers its entries with `@registry.register(name)` (backbones, resizers, distortions,
  tasks, tables).
* `ModuleRegistry(kind, package)`: the entry *is* the module, named by its file, imported only
  when asked for (datasets: their modules import TFDS, and `names()` must stay cheap).
"""

from __future__ import annotations

import difflib
import importlib
import pkgutil


def _unknown(kind, name, known):
    close = difflib.get_close_matches(str(name), known, n=3)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    return ValueError(f"Unknown {kind} {name!r}; expected one of {', '.join(known)}.{hint}")


def _package_modules(package):
    pkg = importlib.import_module(package)
    return sorted(m.name for m in pkgutil.iter_modules(pkg.__path__) if not m.name.startswith("_"))


class Registry:
    """name -> entry, filled by `register` (and by importing `package`'s modules on first use)."""

    def __init__(self, kind, package=None):
        self.kind, self.package = kind, package
        self._entries, self._loaded = {}, package is None

    def register(self, name, entry=None, replace=False):
        """Registers `entry` under `name`; without `entry`, a decorator that registers its argument.
        A name registered twice is an error unless `replace`."""
        if entry is None:
            return lambda e: self.register(name, e, replace) or e
        if name in self._entries and self._entries[name] is not entry and not replace:
            raise ValueError(f"{self.kind} {name!r} is registered twice")
        self._entries[name] = entry
        return entry

    def _load(self):
        # Marked loaded only when every module imported: a module that fails to import fails
        # every lookup with its own error, not later ones with a misleading "unknown name".
        if not self._loaded:
            for module in _package_modules(self.package):
                importlib.import_module(f"{self.package}.{module}")
            self._loaded = True

    def get(self, name):
        self._load()
        try:
            return self._entries[name]
        except (KeyError, TypeError):
            raise _unknown(self.kind, name, self.names()) from None

    def check(self, name):
        """`name` when it is registered, else the ValueError of `get` (with a did-you-mean)."""
        self.get(name)
        return name

    def names(self):
        """Registered names; a package's in name order (the order its modules happened to be
        imported in must not matter)."""
        self._load()
        return tuple(sorted(self._entries)) if self.package else tuple(self._entries)

    def items(self):
        return tuple((name, self._entries[name]) for name in self.names())

    def __contains__(self, name):
        self._load()
        return name in self._entries

    def __getitem__(self, name):
        return self.get(name)

    def __iter__(self):
        return iter(self.names())

    def __len__(self):
        return len(self.names())


class ModuleRegistry:
    """name -> module of `package` with that file name, imported when first asked for; modules
    elsewhere (a user's own) join with `register(name, module)`."""

    def __init__(self, kind, package):
        self.kind, self.package = kind, package
        self.extra = {}

    def register(self, name, module):
        self.extra[name] = module
        return module

    def names(self):
        return tuple(_package_modules(self.package)) + tuple(n for n in self.extra if n not in _package_modules(self.package))

    def module(self, name):
        self.check(name)
        if name in self.extra:
            return self.extra[name]
        return importlib.import_module(f"{self.package}.{name}")

    def check(self, name):
        if name not in self.names():
            raise _unknown(self.kind, name, self.names())
        return name

    def __contains__(self, name):
        return name in self.names()

    def __iter__(self):
        return iter(self.names())
