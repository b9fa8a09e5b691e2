//! Words the synthetic library is made of: names, places, titles.
//!
//! A few surnames carry accents so that the CSV files and the stores see
//! UTF-8 beyond ASCII, as a real library's would.

pub(crate) const FIRST_NAMES: &[&str] = &[
    "Ada", "Alan", "Amara", "Anna", "Arjun", "Ben", "Carmen", "Chen", "Clara", "Daniel", "David",
    "Elena", "Emma", "Farah", "Felix", "Grace", "Hana", "Hugo", "Ines", "Ivan", "Jane", "Javier",
    "John", "Julia", "Kai", "Karin", "Leo", "Lina", "Lucas", "Maria", "Mateo", "Mei", "Nadia",
    "Noah", "Olga", "Omar", "Paul", "Priya", "Rosa", "Sami", "Sara", "Sofia", "Tariq", "Tom",
    "Uma", "Victor", "Wei", "Yara", "Yusuf", "Zoe",
];

pub(crate) const SURNAMES: &[&str] = &[
    "Abbott",
    "Adeyemi",
    "Andersen",
    "Baker",
    "Becker",
    "Brown",
    "Castro",
    "Chen",
    "Clarke",
    "Costa",
    "Dubois",
    "Dvořák",
    "Evans",
    "Fischer",
    "García",
    "Gómez",
    "Green",
    "Hall",
    "Hansen",
    "Hernández",
    "Ito",
    "Jensen",
    "Johnson",
    "Kim",
    "Kowalski",
    "Larsen",
    "Lee",
    "López",
    "Martin",
    "Moreau",
    "Müller",
    "Nakamura",
    "Nguyen",
    "Novak",
    "Núñez",
    "O'Brien",
    "Okafor",
    "Olsen",
    "Park",
    "Patel",
    "Pérez",
    "Petrov",
    "Rossi",
    "Santos",
    "Schmidt",
    "Silva",
    "Singh",
    "Smith",
    "Søndergaard",
    "Tanaka",
    "Taylor",
    "Thomas",
    "Walker",
    "Wang",
    "Weber",
    "White",
    "Wilson",
    "Yilmaz",
    "Young",
    "Zhang",
];

pub(crate) const BRANCHES: &[&str] = &[
    "CPL", "FFL", "FPL", "FRL", "IPT", "LPL", "MPL", "NPL", "PVL", "RPL", "SPL", "TPL",
];

pub(crate) const CITIES: &[&str] = &[
    "Springfield",
    "Riverside",
    "Fairview",
    "Franklin",
    "Greenville",
    "Bristol",
    "Clinton",
    "Madison",
    "Georgetown",
    "Salem",
];

pub(crate) const STREETS: &[&str] = &[
    "Main St",
    "Oak Ave",
    "Pine Rd",
    "Maple Dr",
    "Cedar Ln",
    "Elm St",
    "Park Ave",
    "Lake Rd",
    "Hill St",
    "River Rd",
    "Church St",
    "Mill Ln",
];

pub(crate) const TITLE_ADJECTIVES: &[&str] = &[
    "Silent",
    "Hidden",
    "Last",
    "Broken",
    "Golden",
    "Distant",
    "Secret",
    "Lost",
    "Bright",
    "Endless",
    "Quiet",
    "Wild",
    "Winter",
    "Burning",
    "Forgotten",
    "Little",
    "Northern",
    "Paper",
];

pub(crate) const TITLE_NOUNS: &[&str] = &[
    "Garden", "River", "House", "City", "Sea", "Mountain", "Library", "Promise", "Road", "Star",
    "Island", "Forest", "Letter", "Bridge", "Kingdom", "Clock", "Harbour", "Orchard", "Mirror",
    "Storm",
];

pub(crate) const FINE_DESCRIPTIONS: &[&str] = &[
    "Overdue fine",
    "Lost card replacement",
    "Damaged item",
    "Hold not collected",
    "Lost item",
    "Printing",
];
