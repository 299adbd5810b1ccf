//! Mappings: which source header fills which canonical column, written in TOML for a
//! multi-file import or guessed from one file's headers (English and Spanish synonyms, and
//! a [`Preset`]: the export headers, picklist values and default stages of HubSpot,
//! Pipedrive, Salesforce and ActiveCampaign).

use crate::IngestError;
use crate::target::Target;
pub use crate::vendor::Preset;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A multi-file import.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// Stored on every row imported, and the scope external ids are unique in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_system: Option<String>,
    #[serde(default, rename = "file")]
    pub files: Vec<FileMap>,
    /// Stages to create, in this order, before any deal is loaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipeline: Option<PipelineSpec>,
}

/// One file of a mapping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileMap {
    /// Relative to the mapping file.
    pub path: PathBuf,
    pub entity: String,
    /// The sheet of a workbook (default: the first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    /// `D/M/Y` or `M/D/Y`, for columns whose dates read both ways.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_format: Option<String>,
    /// Canonical column (or reference name) = source header.
    #[serde(default)]
    pub columns: BTreeMap<String, String>,
    /// Per canonical column: source value = canonical value.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub values: BTreeMap<String, BTreeMap<String, String>>,
    /// Per canonical column: the value of rows that have none.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub defaults: BTreeMap<String, Constant>,
    /// Per canonical column: more headers, read in order where the mapped one is empty
    /// (Pipedrive's won time, then its lost time, for `closed_at`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fallbacks: BTreeMap<String, Vec<String>>,
    /// The default pipeline of this file's deals (a preset's, or your own): deals that name
    /// no pipeline join it, it gets all its stages when the import creates it, and a stage
    /// of one of its names created in any pipeline takes its order, probability and kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipeline: Option<PipelineSpec>,
}

/// A constant in a mapping: text, a number or a boolean, used as its text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Constant {
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

impl Constant {
    pub fn text(&self) -> String {
        match self {
            Constant::Text(s) => s.clone(),
            Constant::Int(i) => i.to_string(),
            Constant::Float(x) => x.to_string(),
            Constant::Bool(b) => b.to_string(),
        }
    }
}

/// `[pipeline]`: a pipeline's stages with their order, probability and kind.
pub use embudo_store::import::{PipelineSpec, StageSpec};

impl FileMap {
    /// `path` filling `entity` with `columns`, without value maps, defaults or formats.
    pub fn new(path: &Path, entity: &str, columns: BTreeMap<String, String>) -> FileMap {
        FileMap {
            path: path.to_path_buf(),
            entity: entity.to_owned(),
            sheet: None,
            date_format: None,
            columns,
            values: BTreeMap::new(),
            defaults: BTreeMap::new(),
            fallbacks: BTreeMap::new(),
            pipeline: None,
        }
    }

    /// The mapping of one file of `target` with these `headers`, guessed: columns, and with
    /// a preset its other headers for the same columns, its picklist values for the columns
    /// mapped, and for deals its default stages.
    pub fn guessed(
        path: &Path,
        target: &Target,
        headers: &[String],
        preset: Option<Preset>,
    ) -> FileMap {
        let mut file = FileMap::new(path, target.table, guess(target, headers, preset));
        let Some(preset) = preset else {
            return file;
        };
        for header in headers {
            for column in preset.columns_of(target.table, header) {
                if file.columns.get(column).is_some_and(|h| h != header) {
                    file.fallbacks
                        .entry(column.to_owned())
                        .or_default()
                        .push(header.clone());
                }
            }
        }
        file.values = preset
            .values(target.table)
            .into_iter()
            .filter(|(column, _)| file.columns.contains_key(column))
            .collect();
        if target.table == "deals" {
            file.pipeline = Some(PipelineSpec {
                name: preset.pipeline_name().to_owned(),
                stages: preset.stages(),
            });
        }
        file
    }
}

impl Mapping {
    /// A mapping of one file.
    pub fn single(file: FileMap) -> Mapping {
        Mapping {
            files: vec![file],
            ..Mapping::default()
        }
    }

    /// Read a mapping file; file paths in it become relative to its folder.
    pub fn read(path: &Path) -> Result<Mapping, IngestError> {
        let text = std::fs::read_to_string(path).map_err(|e| IngestError::File {
            path: path.to_path_buf(),
            problem: format!("cannot be read: {e}"),
        })?;
        let mut mapping: Mapping = toml::from_str(&text).map_err(|e| IngestError::File {
            path: path.to_path_buf(),
            problem: format!(
                "is not a valid mapping: {}",
                e.to_string().lines().next().unwrap_or_default()
            ),
        })?;
        let folder = path.parent().unwrap_or(Path::new("."));
        for file in &mut mapping.files {
            file.path = folder.join(&file.path);
        }
        Ok(mapping)
    }

    /// The mapping as TOML, with file paths relative to `folder` where they can be.
    pub fn to_toml(&self, folder: &Path) -> String {
        let mut relative = self.clone();
        for file in &mut relative.files {
            if let Ok(inside) = file.path.strip_prefix(folder) {
                file.path = inside.to_path_buf();
            }
        }
        toml::to_string(&relative).unwrap_or_default()
    }
}

/// Headers (normalised) that name the company a contact works for, or an activity is with.
const COMPANY_OF_A_PERSON: &[&str] = &[
    "company",
    "company name",
    "organization",
    "organisation",
    "account",
    "account name",
    "associated company",
    "empresa",
    "compania",
    "organizacion",
    "cuenta",
];

/// Headers (normalised) that name a canonical column in any export: English and Spanish.
/// Entity-specific ones come first.
const SYNONYMS: &[(&str, &str, &[&str])] = &[
    (
        "contacts",
        "first_name",
        &[
            "first name",
            "firstname",
            "given name",
            "nombre",
            "nombre de pila",
        ],
    ),
    (
        "contacts",
        "last_name",
        &[
            "last name",
            "lastname",
            "surname",
            "family name",
            "apellido",
            "apellidos",
        ],
    ),
    ("contacts", "company", COMPANY_OF_A_PERSON),
    (
        "contacts",
        "birth_date",
        &[
            "birth date",
            "birthday",
            "birthdate",
            "date of birth",
            "fecha de nacimiento",
            "cumpleanos",
        ],
    ),
    (
        "contacts",
        "lead_source",
        &[
            "lead source",
            "source",
            "original source",
            "origen",
            "fuente",
            "canal",
        ],
    ),
    (
        "contacts",
        "lifecycle_stage",
        &[
            "lifecycle stage",
            "lifecycle",
            "etapa",
            "etapa del ciclo de vida",
        ],
    ),
    (
        "contacts",
        "external_id",
        &[
            "id",
            "record id",
            "contact id",
            "person id",
            "external id",
            "id externo",
        ],
    ),
    (
        "companies",
        "name",
        &[
            "name",
            "company",
            "company name",
            "account",
            "account name",
            "organization name",
            "organization",
            "nombre",
            "empresa",
            "razon social",
        ],
    ),
    (
        "companies",
        "domain",
        &[
            "domain",
            "website",
            "web",
            "url",
            "company domain name",
            "dominio",
            "sitio web",
            "pagina web",
        ],
    ),
    (
        "companies",
        "industry",
        &["industry", "sector", "industria", "rubro"],
    ),
    (
        "companies",
        "employees",
        &[
            "employees",
            "number of employees",
            "headcount",
            "empleados",
            "numero de empleados",
        ],
    ),
    (
        "companies",
        "annual_revenue",
        &[
            "annual revenue",
            "revenue",
            "facturacion",
            "ingresos",
            "ingresos anuales",
        ],
    ),
    (
        "companies",
        "parent",
        &[
            "parent",
            "parent company",
            "parent account",
            "empresa matriz",
            "matriz",
        ],
    ),
    (
        "companies",
        "external_id",
        &[
            "id",
            "record id",
            "company id",
            "account id",
            "organization id",
            "external id",
            "id externo",
        ],
    ),
    (
        "deals",
        "name",
        &[
            "name",
            "deal name",
            "deal",
            "title",
            "deal title",
            "opportunity",
            "opportunity name",
            "nombre",
            "titulo",
            "oportunidad",
            "negocio",
            "trato",
        ],
    ),
    (
        "deals",
        "amount",
        &[
            "amount",
            "value",
            "deal value",
            "close value",
            "importe",
            "valor",
            "monto",
            "cantidad",
        ],
    ),
    ("deals", "stage", &["stage", "deal stage", "etapa", "fase"]),
    ("deals", "status", &["status", "state", "estado"]),
    (
        "deals",
        "contact",
        &[
            "contact",
            "contact person",
            "person",
            "associated contact",
            "contacto",
            "persona",
        ],
    ),
    (
        "deals",
        "company",
        &[
            "company",
            "account",
            "account name",
            "organization",
            "associated company",
            "customer",
            "empresa",
            "cliente",
            "cuenta",
        ],
    ),
    (
        "deals",
        "source",
        &["source", "lead source", "origen", "fuente"],
    ),
    (
        "deals",
        "deal_type",
        &["type", "deal type", "tipo", "tipo de negocio"],
    ),
    (
        "deals",
        "expected_close_date",
        &[
            "expected close date",
            "close date",
            "expected close",
            "forecast close date",
            "fecha de cierre prevista",
            "fecha prevista de cierre",
            "fecha de cierre",
        ],
    ),
    (
        "deals",
        "closed_at",
        &[
            "closed at",
            "closed date",
            "closed on",
            "date closed",
            "actual close date",
            "won time",
            "fecha cierre real",
            "cerrado el",
        ],
    ),
    (
        "deals",
        "lost_reason",
        &[
            "lost reason",
            "loss reason",
            "closed lost reason",
            "reason lost",
            "motivo de perdida",
            "razon de perdida",
        ],
    ),
    (
        "deals",
        "external_id",
        &[
            "id",
            "record id",
            "deal id",
            "opportunity id",
            "external id",
            "id externo",
        ],
    ),
    (
        "activities",
        "type",
        &[
            "type",
            "activity type",
            "task type",
            "tipo",
            "tipo de actividad",
            "tipo de tarea",
        ],
    ),
    (
        "activities",
        "subject",
        &[
            "subject",
            "title",
            "task title",
            "activity",
            "task",
            "asunto",
            "titulo",
            "actividad",
            "tarea",
        ],
    ),
    (
        "activities",
        "due_at",
        &[
            "due date",
            "due",
            "due at",
            "due on",
            "deadline",
            "scheduled for",
            "fecha de vencimiento",
            "vencimiento",
            "vence",
            "fecha limite",
            "fecha programada",
        ],
    ),
    (
        "activities",
        "completed_at",
        &[
            "completed at",
            "completed on",
            "completed date",
            "completion date",
            "date completed",
            "done at",
            "done on",
            "marked as done time",
            "fecha de finalizacion",
            "fecha de realizacion",
            "completada el",
            "realizada el",
        ],
    ),
    (
        "activities",
        "outcome",
        &["outcome", "call outcome", "result", "resultado"],
    ),
    (
        "activities",
        "external_id",
        &[
            "id",
            "record id",
            "activity id",
            "task id",
            "external id",
            "id externo",
        ],
    ),
    (
        "activities",
        "deal",
        &[
            "deal",
            "deal name",
            "associated deal",
            "opportunity",
            "opportunity name",
            "negocio",
            "trato",
            "oportunidad",
        ],
    ),
    (
        "activities",
        "contact",
        &[
            "contact",
            "contact name",
            "contact person",
            "person",
            "associated contact",
            "contacto",
            "persona",
        ],
    ),
    ("activities", "company", COMPANY_OF_A_PERSON),
    // Help desks: Zendesk writes `Id`, `Requester email`, `Assignee`, `Via`, `Solved at`;
    // HubSpot `Ticket ID`, `Ticket owner`, `Source`, `Category`, `Close date`.
    (
        "tickets",
        "external_id",
        &[
            "id",
            "record id",
            "ticket id",
            "ticket number",
            "case id",
            "case number",
            "external id",
            "id externo",
            "numero de ticket",
            "numero de caso",
        ],
    ),
    (
        "tickets",
        "opened_at",
        &[
            "opened",
            "opened at",
            "date opened",
            "created",
            "created at",
            "create date",
            "created date",
            "date created",
            "submitted at",
            "fecha de apertura",
            "fecha de creacion",
            "abierto",
            "creado",
        ],
    ),
    (
        "tickets",
        "first_response_at",
        &[
            "first response",
            "first response at",
            "first responded at",
            "first reply at",
            "first agent reply date",
            "primera respuesta",
            "fecha de primera respuesta",
        ],
    ),
    (
        "tickets",
        "resolved_at",
        &[
            "resolved",
            "resolved at",
            "solved at",
            "resolution date",
            "closed",
            "closed at",
            "close date",
            "closed date",
            "date closed",
            "resuelto",
            "fecha de resolucion",
            "fecha de cierre",
            "cerrado",
        ],
    ),
    (
        "tickets",
        "sla_due_at",
        &[
            "sla due",
            "sla due at",
            "sla due date",
            "due",
            "due at",
            "due date",
            "due by",
            "vencimiento",
            "fecha limite",
            "fecha de vencimiento",
        ],
    ),
    (
        "tickets",
        "agent",
        &[
            "assignee",
            "assigned to",
            "assigned agent",
            "agent",
            "agent name",
            "ticket owner",
            "owner",
            "agente",
            "asignado a",
            "responsable",
        ],
    ),
    // The requester's e-mail, not `Requester`, Zendesk's name of them: an e-mail finds the
    // contact where two people share a name.
    (
        "tickets",
        "contact",
        &[
            "contact",
            "contact email",
            "requester email",
            "customer email",
            "email",
            "associated contact",
            "contacto",
            "cliente",
            "correo",
        ],
    ),
    ("tickets", "company", COMPANY_OF_A_PERSON),
    (
        "tickets",
        "channel",
        &[
            "channel", "via", "source", "origin", "canal", "origen", "medio",
        ],
    ),
    (
        "tickets",
        "type",
        &[
            "ticket type",
            "case type",
            "category",
            "ticket category",
            "tipo",
            "tipo de ticket",
            "categoria",
        ],
    ),
    ("tickets", "priority", &["priority", "urgency", "prioridad"]),
    // Only headers that say the score is CSAT's: Zendesk's `Satisfaction Score` holds
    // `Good` and `Offered`, which are not scores of 1 to 5.
    (
        "tickets",
        "csat",
        &["csat", "csat score", "csat rating", "puntuacion csat"],
    ),
    (
        "tickets",
        "work_seconds",
        &[
            "work seconds",
            "time spent seconds",
            "tiempo dedicado segundos",
        ],
    ),
    (
        "service_calls",
        "external_id",
        &[
            "id",
            "call id",
            "external id",
            "id de llamada",
            "id externo",
        ],
    ),
    (
        "service_calls",
        "agent",
        &[
            "agent",
            "agent name",
            "user",
            "answered by",
            "agente",
            "usuario",
        ],
    ),
    (
        "service_calls",
        "contact",
        &[
            "contact",
            "contact email",
            "customer",
            "customer email",
            "email",
            "contacto",
            "cliente",
        ],
    ),
    (
        "service_calls",
        "ticket",
        &["ticket", "ticket id", "ticket number", "numero de ticket"],
    ),
    (
        "service_calls",
        "direction",
        &["direction", "call direction", "direccion", "sentido"],
    ),
    (
        "service_calls",
        "queued_at",
        &[
            "queued at",
            "started at",
            "start time",
            "call start",
            "date",
            "created at",
            "fecha",
            "inicio",
            "hora de inicio",
        ],
    ),
    (
        "service_calls",
        "answered_at",
        &[
            "answered at",
            "answer time",
            "picked up at",
            "contestada",
            "hora de respuesta",
        ],
    ),
    (
        "service_calls",
        "ended_at",
        &[
            "ended at",
            "end time",
            "call end",
            "hung up at",
            "fin",
            "hora de fin",
        ],
    ),
    (
        "service_calls",
        "handle_seconds",
        &[
            "handle seconds",
            "handle time",
            "handle time seconds",
            "duration seconds",
            "duration s",
            "duracion segundos",
        ],
    ),
    (
        "service_calls",
        "is_callback",
        &[
            "callback",
            "is callback",
            "call back",
            "devolucion de llamada",
        ],
    ),
    (
        "surveys",
        "external_id",
        &[
            "id",
            "response id",
            "survey response id",
            "external id",
            "id de respuesta",
        ],
    ),
    (
        "surveys",
        "contact",
        &[
            "contact",
            "email",
            "respondent",
            "respondent email",
            "customer email",
            "contacto",
            "correo",
        ],
    ),
    (
        "surveys",
        "kind",
        &["survey", "survey type", "type", "tipo", "tipo de encuesta"],
    ),
    (
        "surveys",
        "score",
        &[
            "score",
            "rating",
            "nps score",
            "csat score",
            "puntuacion",
            "nota",
            "valoracion",
        ],
    ),
    (
        "surveys",
        "responded_at",
        &[
            "responded at",
            "response date",
            "submitted at",
            "date",
            "created at",
            "fecha",
            "fecha de respuesta",
        ],
    ),
    (
        "users",
        "name",
        &["name", "full name", "user", "nombre", "usuario"],
    ),
    ("users", "role", &["role", "rol", "perfil"]),
    ("users", "team", &["team", "equipo"]),
    ("users", "active", &["active", "enabled", "activo"]),
    (
        "products",
        "name",
        &["name", "product", "product name", "nombre", "producto"],
    ),
    (
        "products",
        "product_line",
        &[
            "product line",
            "line",
            "category",
            "family",
            "linea",
            "categoria",
            "familia",
        ],
    ),
    (
        "products",
        "list_price",
        &[
            "list price",
            "price",
            "unit price",
            "precio",
            "precio de lista",
        ],
    ),
    (
        "products",
        "unit_cost",
        &["unit cost", "cost", "coste", "costo", "coste unitario"],
    ),
    (
        "",
        "email",
        &[
            "email",
            "e mail",
            "email address",
            "mail",
            "correo",
            "correo electronico",
        ],
    ),
    (
        "",
        "phone",
        &[
            "phone",
            "phone number",
            "telephone",
            "tel",
            "mobile",
            "mobile phone",
            "telefono",
            "movil",
            "celular",
        ],
    ),
    (
        "",
        "title",
        &["title", "job title", "position", "role", "cargo", "puesto"],
    ),
    (
        "",
        "street",
        &[
            "street",
            "address",
            "street address",
            "address line 1",
            "direccion",
            "calle",
            "domicilio",
        ],
    ),
    (
        "",
        "postal_code",
        &[
            "postal code",
            "zip",
            "zip code",
            "postcode",
            "codigo postal",
            "cp",
        ],
    ),
    (
        "",
        "city",
        &[
            "city",
            "town",
            "ciudad",
            "localidad",
            "poblacion",
            "municipio",
        ],
    ),
    (
        "",
        "region",
        &[
            "region",
            "state",
            "province",
            "state region",
            "county",
            "estado",
            "provincia",
            "comunidad",
        ],
    ),
    (
        "",
        "country",
        &["country", "country region", "pais", "nacion"],
    ),
    (
        "",
        "owner",
        &[
            "owner",
            "owner name",
            "record owner",
            "assigned to",
            "assigned to user",
            "sales rep",
            "salesperson",
            "sales agent",
            "propietario",
            "responsable",
            "vendedor",
            "comercial",
            "agente",
        ],
    ),
    ("", "currency", &["currency", "moneda", "divisa"]),
    (
        "",
        "created_at",
        &[
            "created",
            "created at",
            "create date",
            "created date",
            "date created",
            "creation date",
            "created on",
            "add time",
            "fecha de creacion",
            "fecha de alta",
            "alta",
            "creado",
        ],
    ),
    (
        "",
        "updated_at",
        &[
            "updated",
            "updated at",
            "last modified",
            "last modified date",
            "modified",
            "date updated",
            "last updated",
            "update time",
            "fecha de modificacion",
            "ultima modificacion",
            "actualizado",
        ],
    ),
];

/// Lowercase, accents and punctuation gone, words single-spaced: `Fecha de Creación` →
/// `fecha de creacion`, `Person - Email` → `person email`.
pub fn normalise_header(header: &str) -> String {
    let folded: String = header
        .trim_start_matches('\u{feff}')
        .chars()
        .map(embudo_model::text::fold_char)
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Guess which header fills which canonical column of `target`.
///
/// A file whose every header is a column of the table is an Embudo export (or written to
/// look like one) and maps one to one, `id` included. Otherwise the preset's columns come
/// first, each from the first of its headers the file has (one header may fill several);
/// then, for each header left in order, a canonical column or reference name, then a
/// synonym, then the same for what follows the record's own name and a dash (Pipedrive's
/// `Activity - Subject`). Each column is filled at most once; `id` means the source
/// system's id (`external_id`), and `ticket_id` the source's id of a ticket (the `ticket`
/// reference).
pub fn guess(
    target: &Target,
    headers: &[String],
    preset: Option<Preset>,
) -> BTreeMap<String, String> {
    let mut columns = BTreeMap::new();
    let canonical = |h: &str| target.column(h).is_some() || target.reference(h).is_some();
    if headers.iter().all(|h| target.column(h).is_some()) {
        for header in headers {
            columns.insert(header.clone(), header.clone());
        }
        return columns;
    }
    // A preset's columns first, each from the first of its headers the file has.
    if let Some(preset) = preset {
        for (entity, header, column) in preset.headers() {
            let present = headers
                .iter()
                .find(|h| normalise_header(h) == normalise_header(header));
            if *entity == target.table
                && let Some(present) = present
                && canonical(column)
            {
                columns
                    .entry((*column).to_owned())
                    .or_insert_with(|| present.clone());
            }
        }
    }
    let taken: Vec<String> = columns.values().cloned().collect();
    let by_synonym = |header: &str| {
        let normal = normalise_header(header);
        SYNONYMS
            .iter()
            .filter(|(entity, _, _)| *entity == target.table || entity.is_empty())
            .find(|(_, _, words)| words.contains(&normal.as_str()))
            .map(|(_, column, _)| *column)
            .filter(|column| canonical(column))
    };
    // The column some words name: a canonical column or reference, else a synonym. In a
    // file not Embudo's own, `Ticket ID` is the source's id of the ticket: it names the
    // reference, found by external id or key, never Embudo's `ticket_id`.
    let named = |words: &str| {
        let name = words.replace(' ', "_");
        let name = target
            .references()
            .find(|r| r.column == name)
            .map_or(name, |r| r.name.to_owned());
        (canonical(&name) && name != "id")
            .then_some(name)
            .or_else(|| by_synonym(words).map(str::to_owned))
    };
    for header in headers.iter().filter(|h| !taken.contains(h)) {
        let column = named(&normalise_header(header))
            .or_else(|| own_property(target.table, header).and_then(|words| named(&words)));
        if let Some(column) = column
            && !columns.contains_key(&column)
        {
            columns.insert(column, header.clone());
        }
    }
    columns
}

/// The words of the property a header names after its record's own name and a dash, as
/// Pipedrive writes its exports: `Activity - Due date` of an activity is its `due date`,
/// `Deal - Title` of a deal its `title`.
fn own_property(table: &str, header: &str) -> Option<String> {
    let (record, property) = header.split_once(" - ")?;
    let own: &[&str] = match table {
        "activities" => &["activity", "actividad"],
        "deals" => &["deal", "negocio", "trato"],
        "contacts" => &["person", "contact", "persona", "contacto"],
        "companies" => &["organization", "company", "organizacion", "empresa"],
        "users" => &["user", "usuario"],
        "products" => &["product", "producto"],
        _ => &[],
    };
    own.contains(&normalise_header(record).as_str())
        .then(|| normalise_header(property))
}

/// The vendor whose export `headers` look like, when the file was given no preset and its
/// preset would read some of them otherwise than the guess does (HubSpot's `Close Date` is
/// when a won or lost deal closed; its `Deal owner` is the owner): the preset and those
/// headers. The file must have at least two headers of that vendor's export for the entity
/// that no other vendor's has (`Deal Stage`, `Opportunity Name`: `Amount` and `Close Date`
/// say nothing), more than of any other vendor's.
pub fn vendor_of(target: &Target, headers: &[String]) -> Option<(Preset, Vec<String>)> {
    let theirs =
        |preset: Preset, header: &str| preset.columns_of(target.table, header).next().is_some();
    let mut known: Vec<(usize, Preset)> = Preset::ALL
        .into_iter()
        .map(|preset| {
            let own = headers.iter().filter(|h| {
                theirs(preset, h)
                    && Preset::ALL
                        .into_iter()
                        .all(|other| other == preset || !theirs(other, h))
            });
            (own.count(), preset)
        })
        .collect();
    known.sort_by_key(|(n, _)| std::cmp::Reverse(*n));
    let [(most, preset), (next, _), ..] = known[..] else {
        return None;
    };
    if most < 2 || most == next {
        return None;
    }
    let guessed = guess(target, headers, None);
    let read_otherwise: Vec<String> = headers
        .iter()
        .filter(|header| {
            let as_guessed: Vec<&str> = guessed
                .iter()
                .filter(|(_, h)| h == header)
                .map(|(column, _)| column.as_str())
                .collect();
            preset
                .columns_of(target.table, header)
                .filter(|column| {
                    target.column(column).is_some() || target.reference(column).is_some()
                })
                .any(|column| !as_guessed.contains(&column))
        })
        .cloned()
        .collect();
    (!read_otherwise.is_empty()).then_some((preset, read_otherwise))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_normalise_across_languages_and_punctuation() {
        assert_eq!(normalise_header("Fecha de Creación"), "fecha de creacion");
        assert_eq!(normalise_header("Person - Email"), "person email");
        assert_eq!(
            normalise_header("\u{feff}Country/Region "),
            "country region"
        );
    }
}
