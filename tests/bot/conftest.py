from tests.adapters.console.support import console  # noqa: F401  (fixture)
