import pytest

from edgelmk.registry import Registry


class Thing:
    summary = "a thing"

    def __init__(self, size: int, colour: str = "red"):
        self.size, self.colour = size, colour


@pytest.fixture
def things():
    registry = Registry("thing")
    registry.register("thing")(Thing)
    return registry


def test_build_passes_keys_as_arguments(things):
    built = things.build({"name": "thing", "size": 3, "colour": "blue"})
    assert (built.size, built.colour) == (3, "blue")
    assert things.names() == ["thing"] and things.summaries() == {"thing": "a thing"}


def test_registering_a_name_twice_fails(things):
    with pytest.raises(ValueError, match="already registered"):
        things.register("thing")(Thing)


@pytest.mark.parametrize(
    "config, error, match",
    [
        ({"size": 3}, KeyError, "needs a 'name' key, one of: thing"),
        ({"name": "thin"}, KeyError, "unknown thing 'thin'; known: thing.*Did you mean 'thing'"),
        ({"name": 3}, KeyError, "unknown thing 3"),
        ({"name": "thing", "size": 3, "color": "x"}, ValueError, "unknown key 'color'.*Did you mean 'colour'"),
        (["thing"], TypeError, "must be a mapping"),
    ],
)
def test_build_errors_say_what_to_fix(things, config, error, match):
    with pytest.raises(error, match=match):
        things.build(config)


def test_check_lists_every_problem_without_building(things):
    assert things.check({"name": "thing", "size": 3}) == []
    problems = things.check({"name": "thing", "sise": 3, "color": "x"})
    assert len(problems) == 2 and "Did you mean 'size'" in problems[0] and "Did you mean 'colour'" in problems[1]
    assert things.check({"name": "thing"}) == ["thing 'thing': missing a required argument: 'size'"]
    assert "Did you mean 'thing'" in things.check({"name": "thin"})[0]
    assert "needs a 'name' key" in things.check({"size": 3})[0] and "must be a mapping" in things.check([1])[0]
