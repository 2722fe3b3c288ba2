"""Each field function on real fragments of the corpus, odd ones included."""

from __future__ import annotations

import datetime as dt

import pytest

from cablegate.parse import (
    canonical_id,
    count_redactions,
    parse_cable,
    parse_caveats,
    parse_classification_reasons,
    parse_classified_by,
    parse_comment,
    parse_declassification_date,
    parse_info_recipients,
    parse_paragraphs,
    parse_recipients,
    parse_references,
    parse_sender,
    parse_signers,
    parse_subject,
    parse_summary,
    parse_tags,
    station_code,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("08SCTION02OF02SAOPAULO335", "08SAOPAULO335"),
        ("06SECSTATE123", "06STATE123"),
        ("05RIODEJAN123", "05RIODEJANEIRO123"),
        ("07PORT-AU-PRINCE12", "07PORTAUPRINCE12"),
        ("08STATE037957", "08STATE37957"),
        ("7575LIBREVILLE1895", "75LIBREVILLE1895"),
        ("85NOFORNMOGADISHU1643", "85MOGADISHU1643"),
        ("06SECTION01O02HONGKONG2311", "06HONGKONG2311"),
        ("06SECION01OF02HARARE628", "06HARARE628"),
        ("08IRANRPODUBAI12", "08RPODUBAI12"),
        ("09EFTOKABUL55", "09KABUL55"),
        (" 08state37957 ", "08STATE37957"),
        ("10RPODUBAI13", "10RPODUBAI13"),
        ("not an id", "NOTANID"),
    ],
)
def test_canonical_id(raw: str, expected: str) -> None:
    assert canonical_id(raw) == expected


def test_station_code() -> None:
    assert station_code("New Delhi") == "NEWDELHI"
    assert station_code("SECSTATE") == "STATE"
    assert station_code("THE HAGUE") == "THEHAGUE"
    assert station_code("MYRIAD POST") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("TAGS: KNNP MNUC PARM PK PREL", ["KNNP", "MNUC", "PARM", "PK", "PREL"]),
        ("TAGS: PGOV, PINR, US ", ["PGOV", "PINR", "US"]),  # cables.csv style, commas
        (
            "TAGS PGOV, PINS, ZI, MDC, ZANU-PF \n\nSUBJECT:  ZANU-PF REPORTEDLY",
            ["PGOV", "PINS", "ZI", "MDC", "ZANU", "PF"],
        ),
        # Split over two lines (08NEWDELHI1489).
        (
            "TAGS: PREL PARM TSPL PTER KNNP ETTC ENRG TRGY IN\nIR, PK \nSUBJECT: NARAYANAN URGES",
            ["PREL", "PARM", "TSPL", "PTER", "KNNP", "ETTC", "ENRG", "TRGY", "IN", "IR", "PK"],
        ),
        # Glued to the DECL date in flattened copies (05SANAA1352).
        (
            "E.O. 12958: DECL: 05/21/2015TAGS: PREL PGOV PTER\n\n¶1. (S/NF)",
            ["PREL", "PGOV", "PTER"],
        ),
        # A next line that is prose is not a continuation (05BRASILIA2231).
        (
            "TAGS: PREL MARR BR UNSC US\nDISCUSS HAITI AND OTHER ISSUES, 19 AUGUST 2005",
            ["PREL", "MARR", "BR", "UNSC", "US"],
        ),
        ("TAGS: OVIP (RICE, CONDOLEEZZA) PREL", ["OVIP", "RICE", "CONDOLEEZZA", "PREL"]),
        ("PGOV PINR", ["PGOV", "PINR"]),
    ],
)
def test_parse_tags(text: str, expected: list[str]) -> None:
    assert parse_tags(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "SUBJECT: POSSIBLE RELEASE OF A.Q. KHAN\n\nClassified By: SCA",
            "POSSIBLE RELEASE OF A.Q. KHAN",
        ),
        # Multi-line subject (08VLADIVOSTOK68).
        (
            'SUBJECT: RUSSIAN FAR EAST: CHUKOTKANS WORRY AS THEIR "HERO," \n'
            "BILLIONAIRE ROMAN ABRAMOVICH, STEPS DOWN AS GOVERNOR \n \nREF: 2007 VLADIVOSTOK 095",
            'RUSSIAN FAR EAST: CHUKOTKANS WORRY AS THEIR "HERO," BILLIONAIRE ROMAN ABRAMOVICH, '
            "STEPS DOWN AS GOVERNOR",
        ),
        (
            "SUBJECT: AFGHANS WITH CODEL BURR ON ELECTIONS, SECURITY, \nAND THE FUTURE \n \n"
            "Classified By: Political Counselor",
            "AFGHANS WITH CODEL BURR ON ELECTIONS, SECURITY, AND THE FUTURE",
        ),
        ("SUBJ: CORRECTED COPY: X\nREF: STATE 1", "CORRECTED COPY: X"),
        ("SUBJECT: THE UN'S FUTURE IN COLOMBIA \\ \n \\", "THE UN'S FUTURE IN COLOMBIA"),
    ],
)
def test_parse_subject(text: str, expected: str) -> None:
    assert parse_subject(text) == expected


def _refs(text: str, year: int | str, ref_id: str | None = None) -> list[tuple[str, str]]:
    return [(r.kind, r.value) for r in parse_references(text, year, ref_id)]


def test_references_with_years_letters_and_previous() -> None:
    text = "REF: A. ISLAMABAD 1 \n     ¶B. 08 NEW DELHI 3268 AND PREVIOUS \n \nClassified By: X"
    assert _refs(text, 2009) == [("cable", "09ISLAMABAD1"), ("cable", "08NEWDELHI3268")]


def test_references_lettered_variants() -> None:
    assert _refs("REF: (A)STATE 175414 (NOTAL), (B)ISLAMABAD 5601", "01") == [
        ("cable", "01STATE175414"),
        ("cable", "01ISLAMABAD5601"),
    ]
    assert _refs("REFS: A) THE HAGUE 588 B) THE HAGUE 980", 2004) == [
        ("cable", "04THEHAGUE588"),
        ("cable", "04THEHAGUE980"),
    ]
    assert _refs("REF A: VATICAN 05286; REF B: VATICAN 05546", 2002) == [
        ("cable", "02VATICAN5286"),
        ("cable", "02VATICAN5546"),
    ]
    assert _refs("REF: A. A. 02 NEW DELHI 6938      B. B. NEW DELHI 267", 2003) == [
        ("cable", "02NEWDELHI6938"),
        ("cable", "03NEWDELHI267"),
    ]
    assert _refs("REF: A) SECSTATE 43420 \nB) 02 BRASILIA 1869", 2003) == [
        ("cable", "03STATE43420"),
        ("cable", "02BRASILIA1869"),
    ]


def test_references_four_digit_year_and_padding() -> None:
    assert _refs("REF: 2007 VLADIVOSTOK 095", 2008) == [("cable", "07VLADIVOSTOK95")]
    assert _refs("REF: State 000957", 2007) == [("cable", "07STATE957")]
    assert _refs("REF: Abu Dhabi 1384", "03") == [("cable", "03ABUDHABI1384")]


def test_references_that_are_not_cables_keep_their_kind() -> None:
    refs = parse_references(
        "REF: A. STATE 40721  B. ROME 1098  C. ROME 894  "
        "D. MYRIAD POST-DEPARTMENT E-MAILS FROM 10/01-02/02  E. ROME 348",
        2002,
    )
    assert [(r.label, r.kind) for r in refs] == [
        ("A", "cable"),
        ("B", "cable"),
        ("C", "cable"),
        ("D", "email"),
        ("E", "cable"),
    ]
    assert refs[3].value == "MYRIAD POST-DEPARTMENT E-MAILS FROM 10/01-02/02"
    assert _refs("REF: STATE 106206 CIRCULAR; STATE CA-3400 NOV 2, 1966", 1966) == [
        ("cable", "66STATE106206"),
        ("airgram", "STATE CA-3400 NOV 2, 1966"),
    ]
    assert _refs("REF: TELCON BETWEEN POLOFF AND MFA 3/4", 2005)[0][0] == "telcon"
    assert _refs("REF: IIR 6906012405", 2005)[0][0] == "report"


def test_references_resolve_a_bare_number_against_the_own_station() -> None:
    # Alone in its field and below the citing cable's own number: an earlier cable of the
    # same post. Above it (08SANJOSE337's "A. (A) 44297", a State number) it is no cable.
    assert _refs("REF: 1234", 2005, "05ANKARA2399") == [("cable", "05ANKARA1234")]
    assert _refs("REF: A. (A) 44297\n\n B. (B) 44905", 2008, "08SANJOSE337") == [
        ("other", "44297"),
        ("other", "44905"),
    ]


@pytest.mark.parametrize(
    ("text", "year", "expected"),
    [
        # Two numbers of one station, a number carrying the station before it.
        (
            "REF: A) 03 ANKARA 6163 AND 4315 B) 03 ANKARA 4499",
            2004,
            ["03ANKARA6163", "03ANKARA4315", "03ANKARA4499"],
        ),
        ("REF:  A) STATE 15111 AND B) 13716", 2008, ["08STATE15111", "08STATE13716"]),
        ("REF: USUN NEW YORK 720 AND 721", 2008, ["08USUNNEWYORK720", "08USUNNEWYORK721"]),
        # Glued forms.
        ("REF: A. 09BOGOTA1506\n     B. 09BOGOTA1412", 2009, ["09BOGOTA1506", "09BOGOTA1412"]),
        ("REF: 02VATICAN 5607; SANAA5295", 2003, ["02VATICAN5607", "03SANAA5295"]),
        # Years after the number, before the station.
        ("REF: ASUNCION 701 (08)", 2009, ["08ASUNCION701"]),
        ("REF: THE HAGUE 3350 (2004)", 2005, ["04THEHAGUE3350"]),
        ("REF: LIMA 4519/06", 2007, ["06LIMA4519"]),
        ("REF: ASUNCION 701-91", 1992, ["91ASUNCION701"]),
        ("REF: STATE (01) 201265", 2002, ["01STATE201265"]),
        ("REF: D. 2008 CAIRO 2480", 2009, ["08CAIRO2480"]),
        # A range of numbers.
        (
            "REF: A. NEW DELHI 6773-6775 AND 6816",
            2004,
            ["04NEWDELHI6773", "04NEWDELHI6774", "04NEWDELHI6775", "04NEWDELHI6816"],
        ),
        # Numbers of other documents, times and dates are no cables.
        (
            "REF: (A) TD-315/12389-01 (B) STATE 54430 (C) TELCON 04/06/01 AT 1400 EDT",
            2001,
            ["01STATE54430"],
        ),
        ("REF: STATE 106206 CIRCULAR; STATE CA-3400 NOV 2, 1966", 1966, ["66STATE106206"]),
        # A REF field run onto the subject's line, and one that ran into a header.
        (
            "SUBJECT: EU NEEDS URGENCY REF: A. SECSTATE 160808 B. BRUSSELS 3137\n",
            2007,
            ["07STATE160808", "07BRUSSELS3137"],
        ),
        (
            "REF: 08TRIPOLI993 P 171259Z JUN 09FM AMEMBASSY TRIPOLITO SECSTATE WASHDC 4928\n"
            "UNCLAS TRIPOLI 000483",
            2009,
            ["08TRIPOLI993"],
        ),
        # A lettered list continued after a pilcrow, with a page break inside.
        (
            "REF: A. THE HAGUE 2898\n¶B. THE HAGUE 2705 AND PREVIOUS",
            2005,
            ["05THEHAGUE2898", "05THEHAGUE2705"],
        ),
    ],
)
def test_reference_forms_of_real_cables(text: str, year: int, expected: list[str]) -> None:
    """Forms found in the gold set and the real cables.csv rows."""
    assert [v for k, v in _refs(text, year) if k == "cable"] == expected


def test_references_from_a_whole_body_stop_at_the_next_field() -> None:
    body = (
        "UNCLAS LONDON 002814 \n \nSENSITIVE \nSIPDIS \n \nREFTEL: SECSTATE 118397 \n \n"
        "E.O. 12958: N/A \nTAGS: OREP AMGT\nSUBJECT: POC FOR NODEL SANDERS\n \n"
        "1. (SBU) The POC for NODEL Sanders is Warren Chane.\nTUTTLE"
    )
    assert _refs(body, 2008) == [("cable", "08STATE118397")]


HEADER = """VZCZCXRO0724
RR RUEHBC RUEHDIR RUEHKUK
DE RUEHDE #0059/01 0280812
ZNY CCCCC ZZH
R 280812Z JAN 07
FM AMCONSUL DUBAI
TO RUEHC/SECSTATE WASHDC 5072
INFO RUEHAD/AMEMBASSY ABU DHABI 2084
RUCNIRA/IRAN COLLECTIVE
RUEHZM/GULF COOPERATION COUNCIL COLLECTIVE
RUEAIIA/CIA WASHINGTON DC
RHEFDIA/DIA WASHINGTON DC"""


def test_recipients_with_routing_codes_and_message_numbers() -> None:
    to = parse_recipients(HEADER)
    assert [(r.route, r.name, r.precedence, r.mcn) for r in to] == [
        ("RUEHC", "SECSTATE WASHDC", None, "5072")
    ]
    info = parse_info_recipients(HEADER)
    assert [(r.route, r.name, r.mcn) for r in info] == [
        ("RUEHAD", "AMEMBASSY ABU DHABI", "2084"),
        ("RUCNIRA", "IRAN COLLECTIVE", None),
        ("RUEHZM", "GULF COOPERATION COUNCIL COLLECTIVE", None),
        ("RUEAIIA", "CIA WASHINGTON DC", None),
        ("RHEFDIA", "DIA WASHINGTON DC", None),
    ]
    assert [r.collective for r in info] == [False, True, True, False, False]
    assert parse_sender(HEADER).name == "AMCONSUL DUBAI"


def test_recipients_with_precedence_and_collectives() -> None:
    header = (
        "P 112044Z APR 02\nFM AMEMBASSY BOGOTA\nTO SECSTATE WASHDC PRIORITY 8035\n"
        "INFO NSC WASHDC\nWESTERN HEMISPHERIC AFFAIRS DIPL POSTS PRIORITY\n"
        "AMEMBASSY CARACAS \nUSCINCSO MIAMI FL"
    )
    assert [(r.name, r.precedence, r.mcn) for r in parse_recipients(header)] == [
        ("SECSTATE WASHDC", "PRIORITY", "8035")
    ]
    info = parse_info_recipients(header)
    assert [r.name for r in info] == [
        "NSC WASHDC",
        "WESTERN HEMISPHERIC AFFAIRS DIPL POSTS",
        "AMEMBASSY CARACAS",
        "USCINCSO MIAMI FL",
    ]
    assert info[1].collective and info[1].precedence == "PRIORITY"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Classified By: SCA Acting Assistant Secretary Donald C. \nCamp for reasons 1.4(b) "
            "and (d).",
            ["Donald C. Camp"],
        ),
        (
            "Classified By: Political Counselor Annie Pforzheimer, for reasons 1.4 (b) and (d)",
            ["Annie Pforzheimer"],
        ),
        (
            "CLASSIFIED BY: DEPUTY CHIEF OF MISSION MILTON DRUCKER. REASON 1.5 (D).",
            ["MILTON DRUCKER"],
        ),
        (
            "Classified By: AMB. MICHAEL E. MALINOWSKI.  REASON:  1.5(B,D).",
            ["MICHAEL E. MALINOWSKI"],
        ),
        ("(U) Classified by DCM Robert Deutsch, reasons 1.5, b/d.", ["Robert Deutsch"]),
        (
            "CLASSIFIED BY: Paul R Sutphin, Consul General, Dubai, UAE. \nREASON: 1.4 (b), (d)",
            ["Paul R Sutphin"],
        ),
    ],
)
def test_parse_classified_by(text: str, expected: list[str]) -> None:
    assert parse_classified_by(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Classified By: X Y for reasons 1.4(b) and (d).", ["1.4(b)", "1.4(d)"]),
        (
            "Classified By: SCA Richard A. Boucher, Reasons: 1.4 B C AND D",
            ["1.4(b)", "1.4(c)", "1.4(d)"],
        ),
        ("CLASSIFIED BY: DCM. REASON 1.5 (D).", ["1.5(d)"]),
        ("Classified By: AMB. M. REASON:  1.5(B,D).", ["1.5(b)", "1.5(d)"]),
        ("(U) Classified by DCM Robert Deutsch, reasons 1.5, b/d.", ["1.5(b)", "1.5(d)"]),
    ],
)
def test_parse_classification_reasons(text: str, expected: list[str]) -> None:
    assert parse_classification_reasons(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("E.O. 12958: DECL: 04/10/2018", dt.date(2018, 4, 10)),
        ("E.O. 12958: DECL:  1/28/2017 ", dt.date(2017, 1, 28)),
        ("E.O. 12958: N/A ", None),
        ("E.O. 13526: DECL: 2019/10/25", dt.date(2019, 10, 25)),
        ("DECL: 10/25/19", dt.date(2019, 10, 25)),
        ("E.O. 12958: DECL: OADR", None),
        ("E.O. 12958: DECL: 13/45/2018", None),
    ],
)
def test_parse_declassification_date(text: str, expected: dt.date | None) -> None:
    assert parse_declassification_date(text) == expected


def test_paragraph_markings_and_nested_lists() -> None:
    body = (
        "¶1. (S/NF) First.\n\n¶2. (S/Rel Pakistan) Points:\n1. not a paragraph\n"
        "¶3. (SBU) Third.\n4. Fourth, unmarked.\n5.  (C/NF) Fifth"
    )
    paras = parse_paragraphs(body)
    assert [(p.number, p.marking) for p in paras] == [
        (1, "S/NF"),
        (2, "S/REL PAKISTAN"),
        (3, "SBU"),
        (4, None),
        (5, "C/NF"),
    ]
    assert "1. not a paragraph" in paras[1].text


def test_summary_and_comment() -> None:
    body = (
        "1. (C) SUMMARY: PRESIDENT-ELECT KIRCHNER ANNOUNCED HIS CABINET.  END SUMMARY.\n\n"
        "2. (C) Text.  BEGIN COMMENT: He will win. END COMMENT.\n"
    )
    assert parse_summary(body) == "PRESIDENT-ELECT KIRCHNER ANNOUNCED HIS CABINET."
    assert parse_comment(body) == "He will win."
    assert parse_summary("1. Summary. Short one.\n\n2. Next para") == "Short one."
    assert parse_summary("No such thing here.") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("will not be leaked. \n  \nRICE", ["RICE"]),
        ("END COMMENT. \n \nGP-3 \nSACCIO \n", ["SACCIO"]),
        ("BE WAVERING. \nSTEIGMAN \nCONFIDENTIAL \n", ["STEIGMAN"]),
        ("Economic Officer.  XXXXXXXXXXXX TUTTLE", ["TUTTLE"]),
        ('"Iran was not some sub-Saharan country". SCOBEY', ["SCOBEY"]),
        ("grips with shortly.  End comment. \n \nvan Voorst", ["van Voorst"]),
        ("the last sentence has no signer.", []),
    ],
)
def test_parse_signers(text: str, expected: list[str]) -> None:
    assert parse_signers(text) == expected


def test_caveats_and_redactions() -> None:
    body = (
        "UNCLAS LONDON 002814 \n \nSENSITIVE \nSIPDIS \n \nE.O. 12958: N/A\n"
        "1. Met XXXXXXXXXXXX and XXXXXXXXXXXX."
    )
    assert parse_caveats(body) == ["SENSITIVE", "SIPDIS"]
    assert count_redactions(body) == 2
    assert parse_caveats("SECRET\n\nNOFORN\nSIPDIS\n\nSENSITIVE BUT UNCLASSIFIED") == [
        "NOFORN",
        "SIPDIS",
        "SENSITIVE BUT UNCLASSIFIED",
    ]


def test_parse_cable_classification_from_the_body_when_metadata_lacks_it() -> None:
    cable = parse_cable("07SANJOSE48", "", "C O N F I D E N T I A L SAN JOSE 000048\nNOFORN\n")
    assert cable.classification == "CONFIDENTIAL//NOFORN"
    assert parse_cable("X", "", "UNCLAS SAN JOSE 000048").classification == "UNCLASSIFIED"


def test_partial_extract() -> None:
    cable = parse_cable(
        "00HARARE5461",
        "This record is a partial extract of the original cable. The full text of the "
        "original cable is not available.",
        "CONFIDENTIAL PTQ2529 ...",
    )
    assert cable.partial


@pytest.mark.parametrize(
    ("text", "names", "reasons"),
    [
        # Titles and offices are not names; an office with a slash is not split into one.
        (
            "Classified By: PolCouns Ted Osius for reasons 1.4 (b) and (d).",
            ["Ted Osius"],
            ["1.4(b)", "1.4(d)"],
        ),
        ("Classified By: A/DCM John Doe, Reason 1.5 (B,D)", ["John Doe"], ["1.5(b)", "1.5(d)"]),
        (
            "Classified by Minister-Counselor for Economic and Political Affairs William R. "
            "Stewart for reason 1.4 (d).",
            ["William R. Stewart"],
            ["1.4(d)"],
        ),
        # Reason letters are not names.
        (
            "Classified By: LAURENCE WOHLERS, POLITICAL MINISTER COUNSELOR FOR REASO NS 1.4(B) "
            "AND (D)",
            ["LAURENCE WOHLERS"],
            ["1.4(b)", "1.4(d)"],
        ),
        (
            "Classified By: D/Polcouns Art Muirhead for Reason 1.4 (B, D)",
            ["Art Muirhead"],
            ["1.4(b)", "1.4(d)"],
        ),
        # A name over two lines; particles; suffixes as written.
        (
            "Classified By: Ambassador Carol van Voorst for reasons 1.4 (b) and \n(d).",
            ["Carol van Voorst"],
            ["1.4(b)", "1.4(d)"],
        ),
        (
            "Classified By: DCM Robert O. Blake, Jr., Reasons 1.4 (B,D).",
            ["Robert O. Blake, Jr."],
            ["1.4(b)", "1.4(d)"],
        ),
        (
            "Classified By: Stephenson, Ambassador; REASON: 1.4(B), (D)",
            ["Stephenson"],
            ["1.4(b)", "1.4(d)"],
        ),
        # Only an office, or a redaction: no name.
        ("CLASSIFIED BY AMBASSADOR REASONS 1.5 (B, D)", [], ["1.5(b)", "1.5(d)"]),
        ("Classified By: XXXXXXXXXXXX for reasons 1.4(b,d).", [], ["1.4(b)", "1.4(d)"]),
        # Words a line end broke.
        (
            "Classified By: Economic Counselor Richard Sanders,for reasons 1.4 (b) a \nnd (d)",
            ["Richard Sanders"],
            ["1.4(b)", "1.4(d)"],
        ),
    ],
)
def test_classified_by_names_and_reasons(text: str, names: list[str], reasons: list[str]) -> None:
    assert parse_classified_by(text) == names
    assert parse_classification_reasons(text) == reasons


def test_bare_reason_letters_take_the_section_of_their_date() -> None:
    assert parse_classification_reasons("Classified By: X Y; Reasons (b) and (d)") == [
        "1.4(b)",
        "1.4(d)",
    ]
    assert parse_classification_reasons("CLASSIFIED BY: A B, REASON E.O. 12958 (D)", "1.5") == [
        "1.5(d)"
    ]


@pytest.mark.parametrize(
    ("text", "starts", "ends"),
    [
        (
            "1. (C) Summary/Comment: Senior official confirmed it.  End summary/comment.\n",
            "Senior official",
            "confirmed it.",
        ),
        (
            "SUMMARY\n========\n1.  (C) Former president has a plan.  End Summary.\n",
            "Former president",
            "has a plan.",
        ),
        (
            "2.  (SBU) SUMMARY AND COMMENT: Port officials are satisfied.  (END\nSUMMARY AND "
            "COMMENT)\n",
            "Port officials",
            "are satisfied.",
        ),
        (
            "¶1.  (C)  SUMMARY  During their trip, CODEL Cardin met.  END SUMMARY\n",
            "During their trip",
            "Cardin met.",
        ),
        # "END SUMMARY" is an end, never a start; with no label, its paragraph is the summary.
        (
            "¶2. (C) ALONG WITH THE GROWING STRENGTH OF REFAH, IT GAINS.  END SUMMARY\n",
            "ALONG WITH",
            "IT GAINS.",
        ),
        (
            "SUMMARY\n\n1. (C) Summary: The ambassador posited a view.  End Summary.\n",
            "The ambassador",
            "a view.",
        ),
    ],
)
def test_summary_forms(text: str, starts: str, ends: str) -> None:
    summary = parse_summary(text)
    assert summary is not None and summary.startswith(starts) and summary.endswith(ends)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "the meeting.\n\nBrownfield \n \n \nNNNN \n      2004CARACA03373 - CONFIDENTIAL\n",
            ["Brownfield"],
        ),
        (
            "END COMMENT. \nSEMBLER \n \n   CONFIDENTIAL \n \n> \n 2003ROME02045 - Classification: "
            "CONFIDENTIAL \n",
            ["SEMBLER"],
        ),
        ("the end.\nCDA Griffiths\n", ["Griffiths"]),
        (
            "the end.\nPEKALA\n\nVZCZCXRO2290\nRR RUEHAG\nDE RUEHFR #3740 2530513\nZNY CCCCC ZZH\n"
            "R 100513Z SEP 07\nFM AMEMBASSY PARIS\nTO RUEHC/SECSTATE WASHDC 9982\n",
            ["PEKALA"],
        ),
        (
            "Visit London's Classified Website: http://www.state.sgov.gov/p/eur/london Tuttle\n",
            ["Tuttle"],
        ),
    ],
)
def test_signers_after_trailers(text: str, expected: list[str]) -> None:
    assert parse_signers(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "SUBJECT: INDIA-EU SUMMIT PREVIEW NEW DELHI 00002591  001.2 OF 003 \n\nClassified",
            "INDIA-EU SUMMIT PREVIEW",
        ),
        (
            "SUBJECT:\n\nARAB LEAGUE SPOKESMAN BRIEFS Classified By: Minister Counselor X",
            "ARAB LEAGUE SPOKESMAN BRIEFS",
        ),
        (
            "SUBJECT: KIDNAPPING OF THE U.S. \n\nAMBASSADOR BRASILIA 00001239 001.2 OF 004 \n\n"
            "Classified By: X",
            "KIDNAPPING OF THE U.S. AMBASSADOR",
        ),
    ],
)
def test_subjects_without_page_markers(text: str, expected: str) -> None:
    assert parse_subject(text) == expected


def test_tags_stop_where_the_subject_runs_into_them() -> None:
    line = "E.O. 12958: DECL: 11/02/10 TAGS: PREL, PTER, RU SUBJECT: KARIMOV URGES COOPERATION"
    assert parse_tags(line) == ["PREL", "PTER", "RU"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("90STATE255577TOSEC140323", "90STATE255577"),
        ("08ACCRA001382SUSPECTEDDUPLICATE1392", "08ACCRA1382"),
        ("09SECTION02OF03QRIPOLI583", "09TRIPOLI583"),
        ("08ECTION01OF02MANAMA492", "08MANAMA492"),
        ("06AITTAIPEI579", "06TAIPEI579"),
        ("07IRANRPODUBAI23", "07RPODUBAI23"),
        ("85KADUNA653", "85KADUNA653"),
    ],
)
def test_canonical_ids_of_the_release_fold(raw: str, expected: str) -> None:
    assert canonical_id(raw) == expected


def test_station_aliases_of_ref_lines() -> None:
    assert station_code("HCMC") == "HOCHIMINHCITY"
    assert station_code("MADRAS") == "CHENNAI" and station_code("CALCUTTA") == "KOLKATA"
    assert station_code("AIT TAIPEI") == "TAIPEI" and station_code("USDOC") == "USDOC"
