"""The generated number inventory: deterministic (seeded) numbers per country, type and locality.

Twenty countries with their real dialling codes, area codes and localities, so searches look
like Telnyx's: E.164 numbers, ``features`` as objects, costs as strings, ``region_information``.
The inventory is rebuilt identically at every start; which numbers are taken or reserved is
state, kept in the store.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

# country: (dial code, national number length, name, {type: [(locality, admin area, ndc), ...]})
COUNTRIES: dict[str, tuple[str, int, str, dict[str, list[tuple[str, str, str]]]]] = {
    "US": (
        "1",
        10,
        "United States",
        {
            "local": [
                ("New York", "NY", "212"),
                ("Chicago", "IL", "312"),
                ("Los Angeles", "CA", "213"),
                ("San Francisco", "CA", "415"),
                ("Austin", "TX", "512"),
                ("Denver", "CO", "303"),
                ("Seattle", "WA", "206"),
                ("Miami", "FL", "305"),
                ("Boston", "MA", "617"),
                ("Atlanta", "GA", "404"),
                ("Fort Collins", "CO", "970"),
                ("Phoenix", "AZ", "602"),
            ],
            "toll_free": [("", "", "800"), ("", "", "833"), ("", "", "844"), ("", "", "888")],
        },
    ),
    "CA": (
        "1",
        10,
        "Canada",
        {
            "local": [
                ("Toronto", "ON", "416"),
                ("Montreal", "QC", "514"),
                ("Vancouver", "BC", "604"),
                ("Calgary", "AB", "403"),
                ("Ottawa", "ON", "613"),
            ],
            "toll_free": [("", "", "800"), ("", "", "888")],
        },
    ),
    "GB": (
        "44",
        10,
        "United Kingdom",
        {
            "local": [
                ("London", "", "20"),
                ("Manchester", "", "161"),
                ("Birmingham", "", "121"),
                ("Edinburgh", "", "131"),
                ("Glasgow", "", "141"),
            ],
            "national": [("", "", "330"), ("", "", "345")],
            "mobile": [("", "", "7400"), ("", "", "7700")],
            "toll_free": [("", "", "800"), ("", "", "808")],
            "shared_cost": [("", "", "843")],
        },
    ),
    "DE": (
        "49",
        10,
        "Germany",
        {
            "local": [
                ("Berlin", "", "30"),
                ("Hamburg", "", "40"),
                ("Munich", "", "89"),
                ("Cologne", "", "221"),
                ("Frankfurt am Main", "", "69"),
                ("Dusseldorf", "", "211"),
            ],
            "national": [("", "", "32")],
            "mobile": [("", "", "151"), ("", "", "170")],
            "toll_free": [("", "", "800")],
        },
    ),
    "FR": (
        "33",
        9,
        "France",
        {
            "local": [
                ("Paris", "", "1"),
                ("Lyon", "", "4"),
                ("Lille", "", "3"),
                ("Bordeaux", "", "5"),
            ],
            "national": [("", "", "9")],
            "mobile": [("", "", "6"), ("", "", "7")],
            "toll_free": [("", "", "800")],
            "shared_cost": [("", "", "810")],
        },
    ),
    "ES": (
        "34",
        9,
        "Spain",
        {
            "local": [
                ("Madrid", "", "91"),
                ("Barcelona", "", "93"),
                ("Valencia", "", "96"),
                ("Seville", "", "95"),
            ],
            "mobile": [("", "", "6")],
            "toll_free": [("", "", "900")],
            "shared_cost": [("", "", "901")],
        },
    ),
    "IT": (
        "39",
        10,
        "Italy",
        {
            "local": [
                ("Rome", "", "06"),
                ("Milan", "", "02"),
                ("Naples", "", "081"),
                ("Turin", "", "011"),
            ],
            "mobile": [("", "", "3")],
            "toll_free": [("", "", "800")],
        },
    ),
    "NL": (
        "31",
        9,
        "Netherlands",
        {
            "local": [
                ("Amsterdam", "", "20"),
                ("Rotterdam", "", "10"),
                ("The Hague", "", "70"),
                ("Utrecht", "", "30"),
            ],
            "national": [("", "", "85")],
            "mobile": [("", "", "6")],
            "toll_free": [("", "", "800")],
        },
    ),
    "SE": (
        "46",
        9,
        "Sweden",
        {
            "local": [("Stockholm", "", "8"), ("Gothenburg", "", "31"), ("Malmo", "", "40")],
            "mobile": [("", "", "70")],
            "toll_free": [("", "", "20")],
        },
    ),
    "CH": (
        "41",
        9,
        "Switzerland",
        {
            "local": [
                ("Zurich", "", "44"),
                ("Geneva", "", "22"),
                ("Basel", "", "61"),
                ("Bern", "", "31"),
                ("Lausanne", "", "21"),
            ],
            "national": [("", "", "58")],
            "mobile": [("", "", "79")],
            "toll_free": [("", "", "800")],
        },
    ),
    "AU": (
        "61",
        9,
        "Australia",
        {
            "local": [
                ("Sydney", "NSW", "2"),
                ("Melbourne", "VIC", "3"),
                ("Brisbane", "QLD", "7"),
                ("Perth", "WA", "8"),
            ],
            "mobile": [("", "", "4")],
            "toll_free": [("", "", "1800")],
        },
    ),
    "BR": (
        "55",
        10,
        "Brazil",
        {
            "local": [
                ("Sao Paulo", "SP", "11"),
                ("Rio de Janeiro", "RJ", "21"),
                ("Belo Horizonte", "MG", "31"),
            ],
            "toll_free": [("", "", "800")],
        },
    ),
    "MX": (
        "52",
        10,
        "Mexico",
        {
            "local": [
                ("Mexico City", "CDMX", "55"),
                ("Guadalajara", "JAL", "33"),
                ("Monterrey", "NL", "81"),
            ],
            "mobile": [("", "", "1")],
            "toll_free": [("", "", "800")],
        },
    ),
    "JP": (
        "81",
        10,
        "Japan",
        {
            "local": [("Tokyo", "", "3"), ("Osaka", "", "6"), ("Nagoya", "", "52")],
            "toll_free": [("", "", "120")],
        },
    ),
    "DK": (
        "45",
        8,
        "Denmark",
        {
            "local": [("Copenhagen", "", "3"), ("Aarhus", "", "8")],
            "mobile": [("", "", "2")],
        },
    ),
    "NO": (
        "47",
        8,
        "Norway",
        {
            "local": [("Oslo", "", "2"), ("Bergen", "", "5")],
            "mobile": [("", "", "4")],
        },
    ),
    "PT": (
        "351",
        9,
        "Portugal",
        {
            "local": [("Lisbon", "", "21"), ("Porto", "", "22")],
            "mobile": [("", "", "91")],
            "toll_free": [("", "", "800")],
        },
    ),
    "AT": (
        "43",
        10,
        "Austria",
        {
            "local": [("Vienna", "", "1"), ("Graz", "", "316")],
            "toll_free": [("", "", "800")],
        },
    ),
    "BE": (
        "32",
        9,
        "Belgium",
        {
            "local": [("Brussels", "", "2"), ("Antwerp", "", "3")],
            "national": [("", "", "78")],
            "toll_free": [("", "", "800")],
        },
    ),
    "IE": (
        "353",
        9,
        "Ireland",
        {
            "local": [("Dublin", "", "1"), ("Cork", "", "21")],
            "toll_free": [("", "", "1800")],
        },
    ),
}

PER_LOCALITY = {("US", "local"): 400, ("CA", "local"): 150}
DEFAULT_PER_LOCALITY = 100

FEATURES_BY_TYPE = {
    "local": ("voice", "sms", "emergency", "local_calling"),
    "national": ("voice", "sms"),
    "mobile": ("voice", "sms", "mms", "international_sms"),
    "toll_free": ("voice",),
    "shared_cost": ("voice",),
}
EXTRA_FEATURES = ("fax", "hd_voice", "mms", "international_sms")

MONTHLY = {"local": 1.0, "national": 2.5, "mobile": 3.0, "toll_free": 2.0, "shared_cost": 4.0}
BLOCK_COUNTRIES = ("US", "CA", "GB", "DE", "NL")


@dataclass(slots=True)
class Number:
    phone_number: str
    country: str
    type: str
    locality: str
    admin_area: str
    ndc: str
    national: str
    features: tuple[str, ...]
    monthly: str
    upfront: str
    quickship: bool
    reservable: bool
    on_hold: bool

    def region_information(self) -> list[dict[str, str]]:
        regions = [{"region_type": "country_code", "region_name": self.country}]
        if self.locality:
            rate_type = "rate_center" if self.country in ("US", "CA") else "location"
            regions.append({"region_type": rate_type, "region_name": self.locality.upper()})
        if self.admin_area:
            regions.append({"region_type": "state", "region_name": self.admin_area})
        return regions

    def to_api(self, best_effort: bool = False) -> dict[str, Any]:
        return {
            "record_type": "available_phone_number",
            "phone_number": self.phone_number,
            "vanity_format": "",
            "best_effort": best_effort,
            "quickship": self.quickship,
            "reservable": self.reservable,
            "cost_information": {
                "currency": "USD",
                "monthly_cost": self.monthly,
                "upfront_cost": self.upfront,
            },
            "features": [{"name": name} for name in self.features],
            "region_information": self.region_information(),
        }

    @property
    def locality_label(self) -> str:
        """What ``number_order_phone_numbers.locality`` shows (the country for non-geographic)."""
        return self.locality or COUNTRIES[self.country][2].upper()


@dataclass(slots=True)
class Block:
    start: Number
    range: int

    @property
    def numbers(self) -> list[str]:
        base = int(self.start.phone_number[1:])
        return [f"+{base + i}" for i in range(self.range)]

    def to_api(self) -> dict[str, Any]:
        data = self.start.to_api()
        return {
            "record_type": "available_phone_number_block",
            "phone_number": self.start.phone_number,
            "range": self.range,
            "cost_information": {
                "currency": "USD",
                "monthly_cost": f"{float(self.start.monthly) * self.range:.2f}",
                "upfront_cost": f"{float(self.start.upfront) * self.range:.2f}",
            },
            "features": data["features"],
            "region_information": data["region_information"],
        }


class Inventory:
    """Every number the sandbox can sell; built from a fixed seed, so identical on each start."""

    def __init__(self, seed: int = 20260716) -> None:
        self.numbers: list[Number] = []
        self.by_phone: dict[str, Number] = {}
        self.by_country: dict[str, list[Number]] = {}
        self.blocks: list[Block] = []
        self.block_by_start: dict[str, Block] = {}
        self.block_numbers: dict[str, Number] = {}
        rng = random.Random(seed)
        for country, (dial, length, _name, types) in COUNTRIES.items():
            for ntype, places in types.items():
                for locality, admin, ndc in places:
                    count = PER_LOCALITY.get((country, ntype), DEFAULT_PER_LOCALITY)
                    self._generate(rng, country, dial, length, ntype, locality, admin, ndc, count)
        for country in BLOCK_COUNTRIES:
            dial, length, _name, types = COUNTRIES[country]
            for locality, admin, ndc in types["local"][:3]:
                for size in (10, 10, 10, 100):
                    self._generate_block(rng, country, dial, length, locality, admin, ndc, size)

    def _make(
        self,
        rng: random.Random,
        country: str,
        dial: str,
        ntype: str,
        locality: str,
        admin: str,
        ndc: str,
        national: str,
    ) -> Number:
        extras = tuple(f for f in EXTRA_FEATURES if rng.random() < 0.25)
        features = tuple(dict.fromkeys(FEATURES_BY_TYPE[ntype] + extras))
        if country in ("US", "CA") and ntype == "local" and "mms" not in features:
            features = (*features, "mms")
        monthly = MONTHLY[ntype] * (1.0 if country in ("US", "CA") else 1.5)
        monthly += rng.choice((0.0, 0.0, 0.25, 0.5))
        is_tf1 = ntype == "toll_free" and dial == "1"
        return Number(
            phone_number=f"+{dial}{national}",
            country=country,
            type=ntype,
            locality=locality,
            admin_area=admin,
            ndc=ndc,
            national=national,
            features=features,
            monthly=f"{monthly:.2f}",
            upfront=f"{monthly:.2f}" if rng.random() < 0.5 else "0.00",
            quickship=is_tf1 and rng.random() < 0.5,
            reservable=rng.random() < (0.9 if dial == "1" else 0.4),
            on_hold=rng.random() < 0.05,
        )

    def _generate(
        self,
        rng: random.Random,
        country: str,
        dial: str,
        length: int,
        ntype: str,
        locality: str,
        admin: str,
        ndc: str,
        count: int,
    ) -> None:
        sub_len = length - len(ndc)
        made = 0
        while made < count:
            first = rng.randint(2, 9)
            subscriber = str(first) + "".join(str(rng.randint(0, 9)) for _ in range(sub_len - 1))
            national = ndc + subscriber
            phone = f"+{dial}{national}"
            if phone in self.by_phone or phone in self.block_numbers:
                continue
            number = self._make(rng, country, dial, ntype, locality, admin, ndc, national)
            self.numbers.append(number)
            self.by_phone[phone] = number
            self.by_country.setdefault(country, []).append(number)
            made += 1

    def _generate_block(
        self,
        rng: random.Random,
        country: str,
        dial: str,
        length: int,
        locality: str,
        admin: str,
        ndc: str,
        size: int,
    ) -> None:
        sub_len = length - len(ndc)
        while True:
            base = rng.randint(2 * 10 ** (sub_len - 1), 10**sub_len - size - 1)
            base -= base % size
            phones = [f"+{dial}{ndc}{base + i}" for i in range(size)]
            if not any(p in self.by_phone or p in self.block_numbers for p in phones):
                break
        start = self._make(rng, country, dial, "local", locality, admin, ndc, f"{ndc}{base}")
        start.on_hold = False
        block = Block(start=start, range=size)
        self.blocks.append(block)
        self.block_by_start[start.phone_number] = block
        for i, phone in enumerate(phones):
            national = phone[1 + len(dial) :]
            self.block_numbers[phone] = (
                Number(
                    phone_number=phone,
                    country=country,
                    type="local",
                    locality=locality,
                    admin_area=admin,
                    ndc=ndc,
                    national=national,
                    features=start.features,
                    monthly=start.monthly,
                    upfront=start.upfront,
                    quickship=False,
                    reservable=False,
                    on_hold=False,
                )
                if i
                else start
            )

    def lookup(self, phone: str) -> Number | None:
        return self.by_phone.get(phone) or self.block_numbers.get(phone)

    def country_of(self, phone: str) -> str | None:
        """Country of any E.164 number, also ones not in the inventory (longest dial code wins)."""
        known = self.lookup(phone)
        if known:
            return known.country
        digits = phone.lstrip("+")
        best: tuple[int, str] | None = None
        for country, (dial, *_rest) in COUNTRIES.items():
            if digits.startswith(dial) and (best is None or len(dial) > best[0]):
                best = (len(dial), country)
        return best[1] if best else None
