"""Every domain error reads as a message of its own; chat-level refusals carry theirs."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from bot.i18n import Texts
from bot.refusals import GENERIC, READINGS, StaleButton, Usage, refusal, restated
from handlers.groupbuy import strip_join_command
from models import errors
from models.errors import DomainError
from models.groupbuy_spec import OrderRequest, parse_order


def _domain_errors(cls: type[DomainError] = DomainError) -> set[type[DomainError]]:
    found: set[type[DomainError]] = set()
    for sub in cls.__subclasses__():
        found |= {sub} | _domain_errors(sub)
    return found


def _bare(cls: type[DomainError]) -> DomainError:
    """An instance without values: enough to learn which template a class reads as."""
    error = cls.__new__(cls)
    DomainError.__init__(error)
    return error


def test_every_domain_error_has_its_own_reading() -> None:
    """A new error class without a reading would fall back to the generic apology."""
    assert {cls for cls in vars(errors).values() if isinstance(cls, type)} >= _domain_errors()
    missing = sorted(cls.__name__ for cls in _domain_errors() if cls not in READINGS)
    assert not missing, f"add these to bot/refusals.py READINGS: {missing}"


def test_every_reading_names_a_template_in_both_languages() -> None:
    texts = Texts(ZoneInfo("Asia/Shanghai"))
    names = texts.template_names("zh") & texts.template_names("en")
    for cls in READINGS:
        template = refusal(_bare(cls)).template
        assert template != GENERIC and template in names, (cls.__name__, template)


def test_domain_errors_name_no_template_or_link() -> None:
    """The domain speaks of rules and data; how they read in a chat lives in bot/refusals.py."""
    for cls in _domain_errors():
        assert not hasattr(cls, "template") and not hasattr(cls, "deep_link"), cls.__name__


def test_inputs_that_do_not_fit_show_the_commands_usage() -> None:
    assert refusal(errors.BadBuildingName(text="")).values == {"command": "bind"}
    assert refusal(errors.MissingRoom()).values == {"command": "register"}
    assert refusal(errors.UnknownLanguage(code="fr")).values == {"command": "lang"}
    assert refusal(Usage(command="join")).template == "errors/usage"


def test_what_only_button_data_can_name_reads_as_a_stale_button() -> None:
    for error in (
        errors.UnknownSkill(skills=["hacking"]),
        errors.NoSuchBuilding(),
        errors.NoSuchBindRequest(),
        errors.NoSuchApplication(),
        StaleButton(),
    ):
        assert refusal(error).template == "errors/stale_button"
        assert refusal(error).link is None


def test_not_registered_links_to_registering_in_its_building() -> None:
    """A refused tap offers a private link that starts registration (in the building, if known)."""
    in_building = refusal(errors.NotRegistered(building_id=7))
    assert (in_building.template, in_building.link) == ("errors/not_registered", "b7")
    assert in_building.values == {"payload": "b7"}
    anywhere = refusal(errors.NotRegistered())
    assert (anywhere.link, anywhere.values) == ("", {"payload": ""})


def test_restated_adds_what_only_the_chat_knows() -> None:
    refused = restated(errors.NotAVolunteer(), private=True)
    assert refusal(refused).template == "errors/not_a_volunteer"
    assert refusal(refused).values == {"private": True}


@pytest.mark.parametrize(
    ("text", "order"), [("/join A2 B1", "A2 B1"), ("／ｊｏｉｎ@linli_bot Ａ２", "A2"), ("A2", "A2")]
)
def test_a_copied_join_command_is_read_past(text: str, order: str) -> None:
    """A 接龙 line copied with its command still reads as the order after it."""
    assert strip_join_command(text) == order


def test_an_order_after_the_join_command_parses() -> None:
    order = parse_order(strip_join_command("/join A2 B1"), item_codes=["A", "B"])
    assert order == OrderRequest({"A": 2, "B": 1}, "set")
