"""The indicator catalogue and its cards: the one place where every indicator is defined.

The codes are stable (see docs/contract.md). Each card says what a Dutch Algoritmeregister entry would:
definition, numerator, denominator, source partners, legal basis, unit, direction, disclosure
rule and known biases.
"""

from __future__ import annotations

from dataclasses import dataclass

# The stable codes (docs/contract.md), as names for the code that refers to one of them.
CONTROLES = "controles"
ILLEGALE_BEWONING = "illegale_bewoning"
ILLEGALE_BEWONING_PER_CONTROLE = "illegale_bewoning_per_controle"
WONINGSPLITSING = "woningsplitsing"
BRANDONVEILIG = "brandonveilig"
OVERBEWONING = "overbewoning"
BRP_AFWIJKING = "brp_afwijking"
ARBEIDSMIGRANTEN = "arbeidsmigranten"
UITKERING_AFWIJKING = "uitkering_afwijking"
TOESLAG_AFWIJKING = "toeslag_afwijking"
NIET_GEBRUIK = "niet_gebruik"
EIGENAAR_CONCENTRATIE = "eigenaar_concentratie"
DOORVERWIJZING_ZORG = "doorverwijzing_zorg"

SPOREN = ("sociaal-maatschappelijk", "ruimtelijk-fysiek", "veiligheid")
BRONNEN = ("gemeente", "uwv", "belastingdienst", "nla", "politie", "om", "svb", "ind", "riec")
SIGNALEN = (
    "controle",
    "illegale_bewoning",
    "woningsplitsing",
    "brandonveilig",
    "overbewoning",
    "brp_afwijking",
    "doorverwijzing_zorg",
)
# Key figures that serve as default denominators (columns of the areas table).
DENOMINATORS = ("woningen", "inwoners", "huishoudens", "uitkeringen")

DISCLOSURE_RULE = (
    "Aantallen 1 t/m 4 worden als 'x' getoond, net als een cijfer waarvan de teller 1 t/m 4 is; "
    "cijfers alleen bij een noemer van minstens 50; gepubliceerde aantallen afgerond op 5, en "
    "elk cijfer is berekend uit dat afgeronde aantal (cijfer x noemer geeft niet meer terug dan "
    "het afgeronde aantal). Waar een totaal getoond wordt, tellen de geheime delen nooit op tot "
    "1 t/m 4, en geen aanvaller die alle gepubliceerde cijfers tegelijk doorrekent kan een "
    "geheim aantal tot binnen 1 t/m 4 of tot minder dan 3 breed terugbrengen."
)

DELIVERED_NOEMER_RULE = (
    "De meegeleverde noemer is zelf een aantal en wordt net zo beveiligd, en samen met de "
    "teller: ook wie weet dat een teller nooit groter is dan zijn noemer, brengt geen geheim "
    "aantal verder terug."
)


@dataclass(frozen=True)
class Indicator:
    """One indicator card."""

    code: str
    naam: str
    spoor: str
    definitie: str
    teller: str
    noemer: str  # a DENOMINATORS key, "controles", or "geleverd" (only with a delivered noemer)
    noemer_omschrijving: str
    eenheid: str
    schaal: float  # rate = teller / noemer * schaal
    hoger_is_slechter: bool
    bronnen: tuple[str, ...]
    wettelijke_grondslag: str
    bekende_vertekeningen: str
    in_samengestelde_score: bool = True
    hit: bool = False  # a finding that depends on inspection effort: show controles beside it
    afgeleid: bool = False  # computed from other indicators, never delivered

    @property
    def openbaarmaking(self) -> str:
        if self.noemer != "geleverd":
            return DISCLOSURE_RULE
        return f"{DISCLOSURE_RULE} {DELIVERED_NOEMER_RULE}"


_EFFORT_BIAS = (
    "Hangt sterk af van de controle-inzet: wie vaker kijkt, vindt meer. Lees altijd naast "
    "'controles' en 'treffers per controle'."
)

CATALOGUE: tuple[Indicator, ...] = (
    Indicator(
        CONTROLES,
        "Controles",
        "veiligheid",
        "Uitgevoerde controlebezoeken aan adressen (de inzet achter elk treffercijfer).",
        "aantal controlebezoeken",
        "woningen",
        "woningvoorraad (CBS)",
        "per 1.000 woningen",
        1000,
        False,
        ("gemeente", "nla", "politie", "belastingdienst", "uwv", "svb"),
        "Woningwet art. 5.1 (toezicht); Wet basisregistratie personen art. 4.1 (adresonderzoek)",
        "Meet inzet, geen probleem. Een stijging betekent meer handhaving, niet een slechtere buurt.",
        in_samengestelde_score=False,
    ),
    Indicator(
        ILLEGALE_BEWONING,
        "Illegale bewoning",
        "ruimtelijk-fysiek",
        "Vastgestelde illegale bewoning of huisvesting (strijdig met bestemmingsplan of vergunning).",
        "aantal vastgestelde gevallen",
        "woningen",
        "woningvoorraad (CBS)",
        "per 1.000 woningen",
        1000,
        True,
        ("gemeente", "nla"),
        "Wet ruimtelijke ordening / Omgevingswet; Huisvestingswet 2014",
        _EFFORT_BIAS,
        hit=True,
    ),
    Indicator(
        ILLEGALE_BEWONING_PER_CONTROLE,
        "Illegale bewoning per controle",
        "ruimtelijk-fysiek",
        "Treffers illegale bewoning per 100 controles: voor inzet gecorrigeerd.",
        "treffers illegale bewoning",
        "controles",
        "aantal controles in dezelfde buurt en periode",
        "per 100 controles",
        100,
        True,
        ("gemeente", "nla"),
        "Afgeleid; grondslag als bij 'illegale_bewoning' en 'controles'",
        "Controles zijn niet willekeurig gekozen: het treffercijfer geldt voor gecontroleerde "
        "adressen, niet voor de hele buurt.",
        afgeleid=True,
    ),
    Indicator(
        WONINGSPLITSING,
        "Illegale woningsplitsing",
        "ruimtelijk-fysiek",
        "Woningen die zonder vergunning zijn gesplitst of omgezet.",
        "aantal vastgestelde gevallen",
        "woningen",
        "woningvoorraad (CBS)",
        "per 1.000 woningen",
        1000,
        True,
        ("gemeente",),
        "Huisvestingswet 2014 art. 21; Omgevingswet (omgevingsplan)",
        _EFFORT_BIAS,
        hit=True,
    ),
    Indicator(
        BRANDONVEILIG,
        "Brandonveilige situaties",
        "veiligheid",
        "Brandonveilige situaties aangetroffen bij controles.",
        "aantal aangetroffen situaties",
        "woningen",
        "woningvoorraad (CBS)",
        "per 1.000 woningen",
        1000,
        True,
        ("gemeente",),
        "Besluit bouwwerken leefomgeving (brandveiligheid); Woningwet",
        _EFFORT_BIAS,
        hit=True,
    ),
    Indicator(
        OVERBEWONING,
        "Overbewoning",
        "ruimtelijk-fysiek",
        "Adressen met meer bewoners dan de norm voor het vloeroppervlak toelaat.",
        "aantal adressen",
        "woningen",
        "woningvoorraad (CBS)",
        "per 1.000 woningen",
        1000,
        True,
        ("gemeente", "nla"),
        "Huisvestingsverordening; Woningwet art. 1a",
        _EFFORT_BIAS,
        hit=True,
    ),
    Indicator(
        BRP_AFWIJKING,
        "BRP-afwijking",
        "sociaal-maatschappelijk",
        "Adressen waar de inschrijving in de BRP afwijkt van wie er werkelijk woont.",
        "aantal adressen",
        "woningen",
        "woningvoorraad (CBS)",
        "per 1.000 woningen",
        1000,
        True,
        ("gemeente",),
        "Wet basisregistratie personen art. 2.21 en 4.1 (adresonderzoek)",
        _EFFORT_BIAS + " Ook administratieve vertraging telt mee.",
        hit=True,
    ),
    Indicator(
        ARBEIDSMIGRANTEN,
        "Arbeidsmigranten (woondruk)",
        "ruimtelijk-fysiek",
        "Ingeschreven arbeidsmigranten: een maat voor druk op de woningmarkt, nooit een risicofactor.",
        "aantal ingeschreven arbeidsmigranten",
        "inwoners",
        "aantal inwoners (CBS)",
        "per 1.000 inwoners",
        1000,
        False,
        ("gemeente", "uwv"),
        "Wet basisregistratie personen; Huisvestingswet 2014",
        "Niet-ingeschreven arbeidsmigranten ontbreken. Zit in geen samengestelde score en geen "
        "hotspotlaag en wordt nooit gebruikt om gebieden voor handhaving te kiezen.",
        in_samengestelde_score=False,
    ),
    Indicator(
        UITKERING_AFWIJKING,
        "Uitkeringsafwijkingen",
        "sociaal-maatschappelijk",
        "Vastgestelde onregelmatigheden bij uitkeringen (bijstand, WW, AO, AOW).",
        "aantal vastgestelde afwijkingen",
        "uitkeringen",
        "personen met een uitkering (CBS kerncijfers: AO, WW, bijstand, AOW)",
        "per 1.000 uitkeringen",
        1000,
        True,
        ("gemeente", "uwv", "svb"),
        "Participatiewet art. 53a en 64; Werkloosheidswet; Wet SUWI art. 64",
        "Afwijkingen zijn nog geen fraude: ook fouten en te late wijzigingen tellen mee. "
        "Afhankelijk van onderzoeksinzet.",
    ),
    Indicator(
        TOESLAG_AFWIJKING,
        "Toeslagafwijkingen",
        "sociaal-maatschappelijk",
        "Vastgestelde onregelmatigheden bij toeslagen (huur-, zorg-, kinderopvangtoeslag).",
        "aantal vastgestelde afwijkingen",
        "huishoudens",
        "aantal huishoudens (CBS)",
        "per 1.000 huishoudens",
        1000,
        True,
        ("belastingdienst",),
        "Algemene wet inkomensafhankelijke regelingen",
        "Na de toeslagenaffaire: afwijking is geen fraude en nationaliteit speelt nergens een rol. "
        "Afhankelijk van onderzoeksinzet.",
    ),
    Indicator(
        NIET_GEBRUIK,
        "Niet-gebruik van voorzieningen",
        "sociaal-maatschappelijk",
        "Inwoners die recht hebben op een voorziening maar die niet gebruiken (onderbenutting).",
        "aantal rechthebbende niet-gebruikers",
        "inwoners",
        "aantal inwoners (CBS)",
        "per 1.000 inwoners",
        1000,
        True,
        ("gemeente", "uwv", "svb", "belastingdienst"),
        "Participatiewet art. 47; Wet gemeentelijke schuldhulpverlening",
        "Schatting op basis van bekende rechthebbenden; wie buiten beeld is, ontbreekt.",
    ),
    Indicator(
        EIGENAAR_CONCENTRATIE,
        "Eigenaarsconcentratie",
        "veiligheid",
        "Aandeel probleemadressen in bezit van eigenaren met 3 of meer probleemadressen "
        "(signaal voor het RIEC).",
        "probleemadressen van eigenaren met 3+ probleemadressen",
        "geleverd",
        "alle probleemadressen in de buurt (meegeleverd)",
        "%",
        100,
        True,
        ("riec", "gemeente"),
        "Convenant RIEC-LIEC; Wet Bibob",
        "Alleen geleverd met noemer. Zegt iets over eigendom, niet over bewoners.",
    ),
    Indicator(
        DOORVERWIJZING_ZORG,
        "Doorverwijzingen naar zorg",
        "sociaal-maatschappelijk",
        "Bewoners doorverwezen naar ondersteuning: de zorgkant van handhaving en zorg.",
        "aantal doorverwijzingen",
        "inwoners",
        "aantal inwoners (CBS)",
        "per 1.000 inwoners",
        1000,
        False,
        ("gemeente",),
        "Wet maatschappelijke ondersteuning 2015; Jeugdwet",
        "Meer doorverwijzingen kan betekenen dat hulp beter gevonden wordt: hoger is niet slechter.",
        in_samengestelde_score=False,
    ),
)

BY_CODE: dict[str, Indicator] = {ind.code: ind for ind in CATALOGUE}
CODES: tuple[str, ...] = tuple(BY_CODE)
# Address finding signaal -> the indicator it counts toward.
SIGNAL_INDICATOR: dict[str, str] = {s: (CONTROLES if s == "controle" else s) for s in SIGNALEN}


def get(code: str) -> Indicator:
    """Return the card of ``code``; raise KeyError with the known codes otherwise."""
    try:
        return BY_CODE[code]
    except KeyError:
        raise KeyError(f"Onbekende indicator {code!r}; bekend: {', '.join(CODES)}") from None


def inputs(code: str) -> tuple[str, ...]:
    """The delivered indicators that ``code`` is computed from (itself, unless derived)."""
    return (ILLEGALE_BEWONING, CONTROLES) if get(code).afgeleid else (code,)


def cards_markdown() -> str:
    """All cards as Markdown: the source of docs/indicatoren.md (a test keeps them equal)."""
    lines = [
        "# Indicatorkaarten",
        "",
        "Wijkmonitor signaleert waar de leefbaarheid onder druk staat en of een aanpak helpt. "
        "Het verklaart geen oorzaken en wijst geen adressen of personen aan. Elke indicator "
        "heeft hieronder een kaart, in de geest van het Algoritmeregister. Deze pagina wordt "
        "gemaakt uit `indicators/catalogue.py` (`python -m indicators.catalogue`).",
        "",
        f"Openbaarmaking, voor alle indicatoren: {DISCLOSURE_RULE} Niet geleverd is '.', "
        "geheim is 'x', zoals CBS ze schrijft.",
        "",
    ]
    for spoor in SPOREN:
        lines += [f"## {spoor.capitalize()}", ""]
        for card in (c for c in CATALOGUE if c.spoor == spoor):
            richting = "hoger is slechter" if card.hoger_is_slechter else "hoger is niet slechter"
            lines += [
                f"### {card.naam} (`{card.code}`)",
                "",
                f"- Definitie: {card.definitie}",
                f"- Teller: {card.teller}",
                f"- Noemer: {card.noemer_omschrijving}",
                f"- Eenheid: {card.eenheid}",
                f"- Richting: {richting}",
                f"- Bronnen: {', '.join(card.bronnen)}",
                f"- Wettelijke grondslag: {card.wettelijke_grondslag}",
                f"- Bekende vertekeningen: {card.bekende_vertekeningen}",
                f"- In samengestelde score: {'ja' if card.in_samengestelde_score else 'nee'}",
            ]
            if card.noemer == "geleverd":
                lines.append(f"- Openbaarmaking van de noemer: {DELIVERED_NOEMER_RULE}")
            lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(cards_markdown(), end="")
