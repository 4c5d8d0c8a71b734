import pytest

from edgelmk import optional


def test_a_missing_optional_dependency_names_the_extra():
    with pytest.raises(ImportError, match=r"plotting needs no_such_module: pip install 'edgelmk\[data\]'"):
        optional.require("no_such_module.sub", "data", "plotting")
