//! Reference vocabularies shipped in the binary, which a label is judged against even when
//! its correct form never occurs in the data: ISO 3166-1 countries (codes, the official and
//! common English names of the `celes` crate, and the Spanish names below), ISO 4217
//! currencies (codes, English names and symbols of the `iso_currency` crate, and the
//! Spanish names below), US states and Spanish provinces and autonomous communities (below),
//! and a standard list of industries in English and Spanish.

use crate::dedupe::fold;
use crate::labels::normalise;
use celes::LookupTable as _;
use std::collections::HashMap;
use std::sync::OnceLock;

/// Industries: the label Embudo writes, then its English and Spanish names.
pub const INDUSTRIES: &[(&str, &str, &str)] = &[
    ("agriculture", "Agriculture", "Agricultura"),
    ("automotive", "Automotive", "Automoción"),
    ("banking", "Banking", "Banca"),
    ("construction", "Construction", "Construcción"),
    ("consulting", "Consulting", "Consultoría"),
    ("education", "Education", "Educación"),
    ("energy", "Energy", "Energía"),
    ("entertainment", "Entertainment", "Entretenimiento"),
    ("finance", "Financial Services", "Servicios financieros"),
    (
        "food_and_beverage",
        "Food & Beverage",
        "Alimentación y bebidas",
    ),
    ("government", "Government", "Administración pública"),
    ("healthcare", "Healthcare", "Sanidad"),
    ("hospitality", "Hospitality", "Hostelería"),
    ("insurance", "Insurance", "Seguros"),
    ("legal", "Legal Services", "Servicios jurídicos"),
    ("logistics", "Logistics", "Logística"),
    ("manufacturing", "Manufacturing", "Fabricación"),
    (
        "marketing",
        "Marketing & Advertising",
        "Marketing y publicidad",
    ),
    ("media", "Media", "Medios de comunicación"),
    ("mining", "Mining", "Minería"),
    ("non_profit", "Non-profit", "Sin ánimo de lucro"),
    ("pharmaceuticals", "Pharmaceuticals", "Farmacéutica"),
    (
        "professional_services",
        "Professional Services",
        "Servicios profesionales",
    ),
    ("real_estate", "Real Estate", "Inmobiliaria"),
    ("retail", "Retail", "Comercio minorista"),
    ("software", "Software", "Software"),
    ("technology", "Technology", "Tecnología"),
    (
        "telecommunications",
        "Telecommunications",
        "Telecomunicaciones",
    ),
    ("transportation", "Transportation", "Transporte"),
    ("travel", "Travel & Tourism", "Viajes y turismo"),
    ("utilities", "Utilities", "Suministros"),
    ("wholesale", "Wholesale", "Comercio mayorista"),
];

/// Every spelling of an industry the vocabulary knows.
pub fn industry_labels() -> Vec<&'static str> {
    INDUSTRIES
        .iter()
        .flat_map(|(key, en, es)| [*key, *en, *es])
        .collect()
}

/// Spanish names of countries, by ISO 3166-1 alpha-2 code.
const SPANISH: &[(&str, &str)] = &[
    ("AD", "Andorra"),
    ("AE", "Emiratos Árabes Unidos"),
    ("AF", "Afganistán"),
    ("AL", "Albania"),
    ("AM", "Armenia"),
    ("AO", "Angola"),
    ("AR", "Argentina"),
    ("AT", "Austria"),
    ("AU", "Australia"),
    ("AZ", "Azerbaiyán"),
    ("BA", "Bosnia y Herzegovina"),
    ("BD", "Bangladés"),
    ("BE", "Bélgica"),
    ("BG", "Bulgaria"),
    ("BH", "Baréin"),
    ("BO", "Bolivia"),
    ("BR", "Brasil"),
    ("BS", "Bahamas"),
    ("BY", "Bielorrusia"),
    ("BZ", "Belice"),
    ("CA", "Canadá"),
    ("CH", "Suiza"),
    ("CI", "Costa de Marfil"),
    ("CL", "Chile"),
    ("CM", "Camerún"),
    ("CN", "China"),
    ("CO", "Colombia"),
    ("CR", "Costa Rica"),
    ("CU", "Cuba"),
    ("CY", "Chipre"),
    ("CZ", "Chequia"),
    ("DE", "Alemania"),
    ("DK", "Dinamarca"),
    ("DO", "República Dominicana"),
    ("DZ", "Argelia"),
    ("EC", "Ecuador"),
    ("EE", "Estonia"),
    ("EG", "Egipto"),
    ("ES", "España"),
    ("ET", "Etiopía"),
    ("FI", "Finlandia"),
    ("FR", "Francia"),
    ("GB", "Reino Unido"),
    ("GE", "Georgia"),
    ("GH", "Ghana"),
    ("GQ", "Guinea Ecuatorial"),
    ("GR", "Grecia"),
    ("GT", "Guatemala"),
    ("HK", "Hong Kong"),
    ("HN", "Honduras"),
    ("HR", "Croacia"),
    ("HT", "Haití"),
    ("HU", "Hungría"),
    ("ID", "Indonesia"),
    ("IE", "Irlanda"),
    ("IL", "Israel"),
    ("IN", "India"),
    ("IQ", "Irak"),
    ("IR", "Irán"),
    ("IS", "Islandia"),
    ("IT", "Italia"),
    ("JM", "Jamaica"),
    ("JO", "Jordania"),
    ("JP", "Japón"),
    ("KE", "Kenia"),
    ("KR", "Corea del Sur"),
    ("KW", "Kuwait"),
    ("KZ", "Kazajistán"),
    ("LB", "Líbano"),
    ("LT", "Lituania"),
    ("LU", "Luxemburgo"),
    ("LV", "Letonia"),
    ("MA", "Marruecos"),
    ("MC", "Mónaco"),
    ("MX", "México"),
    ("MY", "Malasia"),
    ("NG", "Nigeria"),
    ("NI", "Nicaragua"),
    ("NL", "Países Bajos"),
    ("NO", "Noruega"),
    ("NZ", "Nueva Zelanda"),
    ("PA", "Panamá"),
    ("PE", "Perú"),
    ("PH", "Filipinas"),
    ("PK", "Pakistán"),
    ("PL", "Polonia"),
    ("PR", "Puerto Rico"),
    ("PT", "Portugal"),
    ("PY", "Paraguay"),
    ("QA", "Catar"),
    ("RO", "Rumanía"),
    ("RS", "Serbia"),
    ("RU", "Rusia"),
    ("SA", "Arabia Saudí"),
    ("SE", "Suecia"),
    ("SG", "Singapur"),
    ("SI", "Eslovenia"),
    ("SK", "Eslovaquia"),
    ("SN", "Senegal"),
    ("SV", "El Salvador"),
    ("TH", "Tailandia"),
    ("TN", "Túnez"),
    ("TR", "Turquía"),
    ("TW", "Taiwán"),
    ("UA", "Ucrania"),
    ("US", "Estados Unidos"),
    ("UY", "Uruguay"),
    ("VE", "Venezuela"),
    ("VN", "Vietnam"),
    ("ZA", "Sudáfrica"),
];

/// What a country value is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Country {
    /// An ISO 3166-1 alpha-2 code, as written.
    Code,
    /// A name (or alpha-3 code) of the country of this alpha-2 code.
    Named(&'static str),
    /// Nearly a name: the name it misspells.
    Misspelt(String),
    /// Nothing the vocabulary knows.
    Unknown,
}

/// Every country name the vocabulary knows, normalised, with its alpha-2 code and the name
/// as written.
fn names() -> &'static HashMap<String, (&'static str, String)> {
    static NAMES: OnceLock<HashMap<String, (&'static str, String)>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let mut names = HashMap::new();
        for country in celes::Country::get_countries() {
            let spellings = [country.long_name, country.alpha3]
                .into_iter()
                .chain(country.aliases.iter().copied());
            for name in spellings {
                names
                    .entry(normalise(name))
                    .or_insert((country.alpha2, readable(name)));
            }
        }
        for (code, name) in SPANISH {
            names
                .entry(normalise(name))
                .or_insert((*code, (*name).to_owned()));
        }
        names
    })
}

/// `TheUnitedStatesOfAmerica` → `The United States Of America`; other names as they are.
fn readable(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if i > 0 && c.is_uppercase() && !name.contains(' ') && !out.ends_with(' ') {
            out.push(' ');
        }
        out.push(c);
    }
    out.strip_prefix("The ").map(str::to_owned).unwrap_or(out)
}

/// What `value` is as a country.
pub fn country(value: &str) -> Country {
    if value.len() == 2
        && value.chars().all(|c| c.is_ascii_uppercase())
        && celes::Country::from_alpha2(value).is_ok()
    {
        return Country::Code;
    }
    let wanted = normalise(value);
    if let Some((code, _)) = names().get(&wanted) {
        return Country::Named(code);
    }
    // Names of five letters or more only: short ones (Chad, Cuba, Iran, Iraq, Mali) are a
    // letter apart from each other.
    if wanted.len() >= 5 {
        let nearest = names()
            .iter()
            .filter(|(name, _)| name.len() >= 5)
            .filter_map(|(name, (_, written))| {
                let limit = if name.len().min(wanted.len()) > 6 {
                    2
                } else {
                    1
                };
                let d = strsim::osa_distance(&wanted, name);
                (d <= limit).then_some((d, written))
            })
            .min_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)));
        if let Some((_, written)) = nearest {
            return Country::Misspelt(written.clone());
        }
    }
    Country::Unknown
}

/// Spanish names of the currencies a CRM in Spanish most often writes out, by ISO 4217 code.
const SPANISH_CURRENCIES: &[(&str, &str)] = &[
    ("ARS", "peso argentino"),
    ("BOB", "boliviano"),
    ("BRL", "real brasileño"),
    ("CAD", "dólar canadiense"),
    ("CHF", "franco suizo"),
    ("CLP", "peso chileno"),
    ("CNY", "yuan"),
    ("COP", "peso colombiano"),
    ("CRC", "colón costarricense"),
    ("DOP", "peso dominicano"),
    ("EUR", "euro"),
    ("EUR", "euros"),
    ("GBP", "libra esterlina"),
    ("GTQ", "quetzal"),
    ("JPY", "yen"),
    ("MXN", "peso mexicano"),
    ("PEN", "sol peruano"),
    ("PYG", "guaraní"),
    ("USD", "dólar estadounidense"),
    ("UYU", "peso uruguayo"),
];

/// What a deal's or order's currency is.
#[derive(Debug, Clone, PartialEq)]
pub enum Currency {
    /// An ISO 4217 code, as written.
    Code,
    /// A currency written otherwise (its code in lower case, its name, a symbol only it
    /// uses, such as `€`): the code meant.
    Written(&'static str),
    /// A code with two letters swapped (`UDS`) or a name a slip or two away (`Eruo`).
    Misspelt(&'static str),
    Unknown,
}

/// Every way of writing a currency the vocabulary knows, normalised, with its code; a
/// symbol shared by several currencies (`$`, `kr`) is left out.
fn currency_names() -> &'static HashMap<String, &'static str> {
    use iso_currency::IntoEnumIterator as _;
    static NAMES: OnceLock<HashMap<String, &'static str>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let mut names = HashMap::new();
        let mut symbols: HashMap<String, Vec<&'static str>> = HashMap::new();
        for currency in iso_currency::Currency::iter() {
            let code = currency.code();
            names.insert(normalise(code), code);
            names.entry(normalise(currency.name())).or_insert(code);
            symbols
                .entry(currency.symbol().symbol)
                .or_default()
                .push(code);
        }
        for (symbol, codes) in symbols {
            if let [code] = codes.as_slice() {
                names.entry(symbol).or_insert(*code);
            }
        }
        for (code, name) in SPANISH_CURRENCIES {
            names.entry(normalise(name)).or_insert(*code);
        }
        names
    })
}

/// What `value` is as a currency.
pub fn currency(value: &str) -> Currency {
    let value = value.trim();
    if value.len() == 3
        && value.chars().all(|c| c.is_ascii_uppercase())
        && iso_currency::Currency::from_code(value).is_some()
    {
        return Currency::Code;
    }
    let names = currency_names();
    let wanted = normalise(value);
    if let Some(code) = names.get(&wanted).or_else(|| names.get(value)) {
        return Currency::Written(code);
    }
    let letters: Vec<char> = value.chars().collect();
    if letters.len() == 3 && letters.iter().all(char::is_ascii_alphabetic) {
        // Three letters are a letter apart from dozens of codes: only a swap tells which.
        let upper = value.to_ascii_uppercase();
        let swapped: Vec<&'static str> = names
            .values()
            .copied()
            .filter(|code| {
                strsim::osa_distance(&upper, code) == 1 && sorted(code) == sorted(&upper)
            })
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        if let [code] = swapped.as_slice() {
            return Currency::Misspelt(code);
        }
        return Currency::Unknown;
    }
    if wanted.len() >= 4 {
        let limit = if wanted.len() > 6 { 2 } else { 1 };
        let nearest = names
            .iter()
            .filter(|(name, _)| name.len() >= 4)
            .map(|(name, code)| (strsim::osa_distance(&wanted, name), *code))
            .filter(|(d, _)| *d <= limit)
            .min();
        if let Some((_, code)) = nearest {
            return Currency::Misspelt(code);
        }
    }
    Currency::Unknown
}

fn sorted(text: &str) -> Vec<char> {
    let mut letters: Vec<char> = text.chars().collect();
    letters.sort_unstable();
    letters
}

/// US states, the District of Columbia and the territories: postal code and name.
const US_STATES: &[(&str, &str)] = &[
    ("AL", "Alabama"),
    ("AK", "Alaska"),
    ("AZ", "Arizona"),
    ("AR", "Arkansas"),
    ("CA", "California"),
    ("CO", "Colorado"),
    ("CT", "Connecticut"),
    ("DE", "Delaware"),
    ("DC", "District of Columbia"),
    ("FL", "Florida"),
    ("GA", "Georgia"),
    ("HI", "Hawaii"),
    ("ID", "Idaho"),
    ("IL", "Illinois"),
    ("IN", "Indiana"),
    ("IA", "Iowa"),
    ("KS", "Kansas"),
    ("KY", "Kentucky"),
    ("LA", "Louisiana"),
    ("ME", "Maine"),
    ("MD", "Maryland"),
    ("MA", "Massachusetts"),
    ("MI", "Michigan"),
    ("MN", "Minnesota"),
    ("MS", "Mississippi"),
    ("MO", "Missouri"),
    ("MT", "Montana"),
    ("NE", "Nebraska"),
    ("NV", "Nevada"),
    ("NH", "New Hampshire"),
    ("NJ", "New Jersey"),
    ("NM", "New Mexico"),
    ("NY", "New York"),
    ("NC", "North Carolina"),
    ("ND", "North Dakota"),
    ("OH", "Ohio"),
    ("OK", "Oklahoma"),
    ("OR", "Oregon"),
    ("PA", "Pennsylvania"),
    ("RI", "Rhode Island"),
    ("SC", "South Carolina"),
    ("SD", "South Dakota"),
    ("TN", "Tennessee"),
    ("TX", "Texas"),
    ("UT", "Utah"),
    ("VT", "Vermont"),
    ("VA", "Virginia"),
    ("WA", "Washington"),
    ("WV", "West Virginia"),
    ("WI", "Wisconsin"),
    ("WY", "Wyoming"),
    ("PR", "Puerto Rico"),
    ("GU", "Guam"),
    ("VI", "U.S. Virgin Islands"),
    ("AS", "American Samoa"),
    ("MP", "Northern Mariana Islands"),
];

/// Spain's provinces, autonomous cities and autonomous communities, each spelling in use
/// (Spanish, the co-official language's, English), with the name the fix writes first.
const SPANISH_REGIONS: &[&[&str]] = &[
    &["A Coruña", "La Coruña", "Coruña"],
    &["Álava", "Araba"],
    &["Albacete"],
    &["Alicante", "Alacant"],
    &["Almería"],
    &["Asturias", "Principado de Asturias"],
    &["Ávila"],
    &["Badajoz"],
    &["Barcelona"],
    &["Burgos"],
    &["Cáceres"],
    &["Cádiz"],
    &["Cantabria"],
    &["Castellón", "Castelló"],
    &["Ciudad Real"],
    &["Córdoba"],
    &["Cuenca"],
    &["Girona", "Gerona"],
    &["Granada"],
    &["Guadalajara"],
    &["Gipuzkoa", "Guipúzcoa"],
    &["Huelva"],
    &["Huesca"],
    &[
        "Islas Baleares",
        "Illes Balears",
        "Baleares",
        "Balearic Islands",
    ],
    &["Jaén"],
    &["La Rioja", "Rioja"],
    &["Las Palmas"],
    &["León"],
    &["Lleida", "Lérida"],
    &["Lugo"],
    &["Madrid", "Comunidad de Madrid"],
    &["Málaga"],
    &["Murcia", "Región de Murcia"],
    &["Navarra", "Nafarroa", "Comunidad Foral de Navarra"],
    &["Ourense", "Orense"],
    &["Palencia"],
    &["Pontevedra"],
    &["Salamanca"],
    &["Santa Cruz de Tenerife", "Tenerife"],
    &["Segovia"],
    &["Sevilla", "Seville"],
    &["Soria"],
    &["Tarragona"],
    &["Teruel"],
    &["Toledo"],
    &[
        "Valencia",
        "València",
        "Comunitat Valenciana",
        "Comunidad Valenciana",
    ],
    &["Valladolid"],
    &["Bizkaia", "Vizcaya"],
    &["Zamora"],
    &["Zaragoza"],
    &["Ceuta"],
    &["Melilla"],
    &["Andalucía", "Andalusia"],
    &["Aragón", "Aragon"],
    &["Canarias", "Islas Canarias", "Canary Islands"],
    &["Castilla-La Mancha", "Castilla La Mancha"],
    &["Castilla y León", "Castile and León"],
    &["Cataluña", "Catalunya", "Catalonia"],
    &["Extremadura"],
    &["Galicia"],
    &["País Vasco", "Euskadi", "Basque Country"],
];

/// What a contact's or company's region is, for the country it is in.
#[derive(Debug, Clone, PartialEq)]
pub enum Region {
    /// A state, province or community of the country, however spelt in use.
    Known,
    /// A slip or two from one (`Pensylvania`, `Andalucia` is known): the name meant.
    Misspelt(String),
    /// Not near any: maybe a smaller place, which the vocabulary does not judge.
    Unknown,
    /// A country the vocabulary has no regions of.
    NotCovered,
}

/// Every spelling of the regions of `country` (an ISO 3166-1 alpha-2 code), folded (accents
/// too: `Andalucia` is `Andalucía`),
/// with the name a fix writes; empty for a country not covered.
fn regions(country: &str) -> &'static HashMap<String, &'static str> {
    static US: OnceLock<HashMap<String, &'static str>> = OnceLock::new();
    static ES: OnceLock<HashMap<String, &'static str>> = OnceLock::new();
    static NONE: OnceLock<HashMap<String, &'static str>> = OnceLock::new();
    match country {
        "US" => US.get_or_init(|| {
            US_STATES
                .iter()
                .flat_map(|(code, name)| [(fold(code), *code), (fold(name), *name)])
                .collect()
        }),
        "ES" => ES.get_or_init(|| {
            SPANISH_REGIONS
                .iter()
                .flat_map(|names| names.iter().map(|name| (fold(name), names[0])))
                .collect()
        }),
        _ => NONE.get_or_init(HashMap::new),
    }
}

/// What `value` is as a region of `country` (a code or a country's name).
pub fn region(country: &str, value: &str) -> Region {
    let code = match self::country(country) {
        Country::Code => country.to_owned(),
        Country::Named(code) => code.to_owned(),
        Country::Misspelt(_) | Country::Unknown => return Region::NotCovered,
    };
    let known = regions(&code);
    if known.is_empty() {
        return Region::NotCovered;
    }
    let wanted = fold(value);
    if known.contains_key(&wanted) {
        return Region::Known;
    }
    // Two-letter codes are a letter from many others: only names are read as misspelt.
    if wanted.len() < 5 {
        return Region::Unknown;
    }
    let limit = if wanted.len() > 8 { 2 } else { 1 };
    known
        .iter()
        .filter(|(name, _)| name.len() >= 5)
        .map(|(name, written)| (strsim::osa_distance(&wanted, name), *written))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map_or(Region::Unknown, |(_, written)| {
            Region::Misspelt(written.to_owned())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countries_by_code_name_and_misspelling() {
        assert_eq!(country("AR"), Country::Code);
        assert_eq!(country("Argentina"), Country::Named("AR"));
        assert_eq!(country("united states"), Country::Named("US"));
        assert_eq!(country("USA"), Country::Named("US"));
        assert_eq!(country("España"), Country::Named("ES"));
        assert_eq!(country("Kenya"), Country::Named("KE"));
        assert_eq!(country("Argentinia"), Country::Misspelt("Argentina".into()));
        assert_eq!(country("Alemannia"), Country::Misspelt("Alemania".into()));
        assert_eq!(country("Narnia"), Country::Unknown);
        assert_eq!(country("Irak"), Country::Named("IQ"));
    }

    #[test]
    fn currencies_by_code_name_symbol_and_misspelling() {
        assert_eq!(currency("EUR"), Currency::Code);
        assert_eq!(currency("usd"), Currency::Written("USD"));
        assert_eq!(currency("Euro"), Currency::Written("EUR"));
        assert_eq!(currency("euros"), Currency::Written("EUR"));
        assert_eq!(currency("€"), Currency::Written("EUR"));
        assert_eq!(currency("Peso Mexicano"), Currency::Written("MXN"));
        assert_eq!(currency("Mexican peso"), Currency::Written("MXN"));
        assert_eq!(currency("UDS"), Currency::Misspelt("USD"));
        assert_eq!(currency("Eruo"), Currency::Misspelt("EUR"));
        // `$` is a dozen currencies' symbol; `QQQ` spells none.
        assert_eq!(currency("$"), Currency::Unknown);
        assert_eq!(currency("QQQ"), Currency::Unknown);
        assert_eq!(currency("Doubloons"), Currency::Unknown);
    }

    #[test]
    fn regions_of_the_united_states_and_spain() {
        assert_eq!(region("US", "NY"), Region::Known);
        assert_eq!(region("United States", "new york"), Region::Known);
        assert_eq!(
            region("US", "Pensylvania"),
            Region::Misspelt("Pennsylvania".into())
        );
        assert_eq!(region("ES", "Cataluña"), Region::Known);
        assert_eq!(region("ES", "Euskadi"), Region::Known);
        assert_eq!(region("España", "Andalucia"), Region::Known);
        assert_eq!(
            region("ES", "Valenica"),
            Region::Misspelt("Valencia".into())
        );
        assert_eq!(region("ES", "Getafe"), Region::Unknown);
        assert_eq!(region("MX", "Jalisco"), Region::NotCovered);
    }

    #[test]
    fn every_industry_has_three_spellings() {
        assert_eq!(industry_labels().len(), INDUSTRIES.len() * 3);
        assert!(industry_labels().contains(&"manufacturing"));
    }
}
