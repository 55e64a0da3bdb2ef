"""Synthetic names with a realistic spread: a few very common surnames, a long tail of rare ones.

Real name frequencies follow a power law (a handful of surnames cover a few per cent of people,
most surnames are rare), which is what makes a name search selective. Common names come from
these lists with Zipf weights; about a third of people get a surname built from syllables, which
gives the long tail of names held by one or two patients.
"""

# ruff: noqa: RUF001 (names are spelt as their bearers spell them)
from __future__ import annotations

import itertools
import random

FAMILY = """
Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez
Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris
Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill
Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Murphy O'Brien
Kelly Walsh Byrne Ryan O'Connor Doyle McCarthy Gallagher Müller Schmidt Schneider Fischer Weber
Meyer Wagner Becker Schulz Hoffmann Rossi Russo Ferrari Esposito Bianchi Romano Colombo Dubois
Durand Lefèvre Moreau Laurent Simon Michel García Fernández González Rodríguez López Martínez
Sánchez Pérez Gómez Silva Santos Oliveira Souza Costa Pereira Kowalski Nowak Wiśniewski Wójcik
Novák Svoboda Dvořák Papadopoulos Öztürk Yılmaz Kaya Demir Jansen de Vries van Dijk Bakker
Andersson Johansson Karlsson Nilsson Hansen Nielsen Jensen Mensah Okafor Adeyemi Okonkwo Boateng
Khan Ahmed Ali Hussain Patel Shah Singh Kumar Sharma Gupta Chen Wang Li Zhang Liu Yang Huang
Zhao Wu Zhou Tanaka Suzuki Sato Takahashi Watanabe Kim Park Choi Jung Kang Tran Pham Le Hoang
Ivanov Smirnov Kuznetsov Popov Petrov Cohen Levi Mizrahi
""".split()  # noqa: SIM905
GIVEN = """
Maria José Anna John Fatima Mohammed Li Wei Olga Ivan Aoife Siobhán Chloé François Zoë Jürgen
Amélie Kwame Ngozi Priya Arjun Sofía Mateo Émilie Lukas Björn Ingrid Yusuf Aylin Hana Kenji
James Mary Robert Patricia Michael Jennifer William Linda David Elizabeth Richard Barbara Joseph
Susan Thomas Jessica Charles Sarah Christopher Karen Daniel Nancy Matthew Lisa Anthony Margaret
Mark Betty Donald Sandra Steven Ashley Paul Dorothy Andrew Kimberly Joshua Emily Kenneth Donna
Kevin Michelle Brian Carol George Amanda Edward Melissa Ronald Deborah Timothy Stephanie Jason
Rebecca Jeffrey Sharon Ryan Laura Jacob Cynthia Gary Kathleen Nicholas Amy Eric Shirley Jonathan
Angela Stephen Helen Larry Anna Justin Brenda Scott Pamela Seán Niamh Ciarán Saoirse Giulia
Marco Luca Chiara Pierre Camille Hugo Lucía Pablo Ana João Inês Piotr Katarzyna Jan Eva
Dimitrios Eleni Mehmet Elif Sven Astrid Ole Freya Abena Kofi Chinedu Amina Aisha Omar Ravi
Ananya Mei Jun Yuki Haruto Min-jun Seo-yeon Linh Minh Dmitri Natalia Avi Miriam Noor Leila
""".split()  # noqa: SIM905
_ONSETS = [
    "b",
    "br",
    "c",
    "ch",
    "d",
    "f",
    "g",
    "gr",
    "h",
    "j",
    "k",
    "kl",
    "l",
    "m",
    "n",
    "p",
    "pr",
    "r",
    "s",
    "st",
    "t",
    "th",
    "v",
    "w",
    "z",
]
_VOWELS = ["a", "e", "i", "o", "u", "ai", "ea", "ou", "ie"]
_CODAS = ["n", "r", "s", "l", "m", "nd", "rt", "st", "ck", "ng", "x"] + [""] * 4


def _zipf_weights(count: int) -> list[float]:
    return [1 / (rank + 1) for rank in range(count)]


class NameDrawer:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.family_cumulative = list(itertools.accumulate(_zipf_weights(len(FAMILY))))
        self.given_cumulative = list(itertools.accumulate(_zipf_weights(len(GIVEN))))

    def _rare_surname(self) -> str:
        syllables = self.rng.choice((2, 2, 3))
        parts = [
            self.rng.choice(_ONSETS) + self.rng.choice(_VOWELS) + self.rng.choice(_CODAS)
            for _ in range(syllables)
        ]
        return "".join(parts).capitalize()

    def family(self) -> str:
        if self.rng.random() < 0.35:
            return self._rare_surname()
        return self.rng.choices(FAMILY, cum_weights=self.family_cumulative)[0]

    def given(self) -> str:
        return self.rng.choices(GIVEN, cum_weights=self.given_cumulative)[0]
