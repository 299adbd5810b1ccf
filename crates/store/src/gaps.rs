//! Gaps in the data that make reports wrong or empty without anything looking amiss: won
//! and lost deals with no close date, won deals with no amount, deals with no owner, leads
//! with no lead date, won deals with no contact, contacts no deal names, deals with no stage
//! history, stages whose order and probability were guessed, and whole kinds of records
//! absent (deals, contacts, activities, orders, tickets, surveys, goals…). An import counts
//! them in its summary; a report or metric that leans on the missing data says so in a note.

use crate::error::Result;
use crate::live;
use crate::store::Store;
use embudo_model::text::counted;

/// One kind of gap: how to count it, what it does, and which reports and metrics it affects.
#[derive(Debug, Clone, Copy)]
pub struct Gap {
    /// Stable name.
    pub id: &'static str,
    /// What is missing and what it does, in English and Spanish; `{0}` is the count (a
    /// sentence about a table with no rows at all has none), and each `{one|other}` is the
    /// words for one row and for any other number (`embudo_model::text::agreeing`).
    pub en: &'static str,
    pub es: &'static str,
    /// Column references (as metric SQL writes them) whose metrics it makes partial.
    pub columns: &'static [&'static str],
    /// `SELECT count(*)` of the rows with the gap.
    sql: &'static str,
    /// The canned reports whose figures it leaves out or makes wrong.
    pub reports: &'static [&'static str],
    /// Missing values in rows an import brings (its summary warns of them), rather than a
    /// whole kind of record the store has none of (which a deals file cannot be blamed for)
    /// or a value the import worked out and already explained in its own words.
    pub in_rows: bool,
}

/// Every gap Embudo counts. Each count reads its table under the [`live!`] rule, written
/// after the gap's own condition: DuckDB tests a table scan's conditions in the order
/// given, and the gap's rules out most rows before the others run. (Through the view, it
/// lower-cased every contact's stage before looking for a missing lead date: 18 ms on a
/// million contacts, against 6 ms so.) A count that only an empty table makes non-zero
/// tests that in its `WHERE`, where the engine skips the scan when it is false, not in a
/// `CASE`, whose branches it always runs.
pub const GAPS: &[Gap] = &[
    Gap {
        id: "closed_without_date",
        en: "{0} won or lost {deal has|deals have} no close date: {it is|they are} missing from every figure that needs one (revenue, won and lost counts, cycle lengths, forecast training); give {its close date|their close dates} and import again",
        es: "{0} {oportunidad ganada o perdida no tiene|oportunidades ganadas o perdidas no tienen} fecha de cierre: {falta|faltan} en toda cifra que la necesita (ingresos, ganadas y perdidas, duración del ciclo, entrenamiento del pronóstico); indique {su fecha|sus fechas} de cierre e importe de nuevo",
        columns: &["d.closed_at", "r.occurred_at", "c.customer_at"],
        sql: concat!(
            "SELECT count(*) FROM deals WHERE closed_at IS NULL AND status IN ('won', 'lost') AND ",
            live!("deals")
        ),
        reports: &[
            "sales_performance",
            "profitability",
            "sales_cycle",
            "lost_deals",
            "forecast",
            "conversion",
            "lead_sources",
            "customers",
            "goals",
        ],
        in_rows: true,
    },
    Gap {
        id: "won_without_amount",
        en: "{0} won {deal has|deals have} no amount: {it counts|they count} as won but {brings|bring} no revenue",
        es: "{0} {oportunidad ganada no tiene|oportunidades ganadas no tienen} importe: {cuenta como ganada|cuentan como ganadas} pero no {aporta|aportan} ingresos",
        columns: &["r.amount"],
        sql: concat!(
            "SELECT count(*) FROM deals WHERE amount IS NULL AND status = 'won' AND ",
            live!("deals")
        ),
        reports: &[
            "sales_performance",
            "profitability",
            "forecast",
            "customers",
            "goals",
        ],
        in_rows: true,
    },
    Gap {
        id: "deals_without_owner",
        en: "{0} {deal has|deals have} no owner: {it is|they are} in no rep's or team's figures",
        es: "{0} {oportunidad no tiene|oportunidades no tienen} responsable: no {figura|figuran} en las cifras de ningún comercial ni equipo",
        columns: &[],
        sql: concat!(
            "SELECT count(*) FROM deals WHERE owner_id IS NULL AND ",
            live!("deals")
        ),
        reports: &["sales_performance", "pipeline", "goals", "activity"],
        in_rows: true,
    },
    Gap {
        id: "leads_without_date",
        en: "{0} {contact|contacts} at lead stage or beyond {has|have} no lead date: {it is|they are} not counted as {a lead|leads}, so conversion misses {it|them}",
        es: "{0} {contacto|contactos} en etapa de prospecto o posterior no {tiene|tienen} fecha de prospecto: no {cuenta como prospecto|cuentan como prospectos} y la conversión no {lo|los} incluye",
        columns: &["c.lead_at"],
        sql: concat!(
            "SELECT count(*) FROM contacts WHERE lead_at IS NULL
               AND lower(lifecycle_stage) IN ('lead', 'mql', 'sql', 'opportunity', 'customer', 'evangelist') AND ",
            live!("contacts")
        ),
        reports: &["conversion", "lead_sources"],
        in_rows: true,
    },
    Gap {
        id: "lead_at_inferred",
        en: "{0} {contact is a lead|contacts are leads} since the day {it was|they were} entered (the file gave a lead source but no lead date): prospects and times to convert are counted from then",
        es: "{0} {contacto es prospecto|contactos son prospectos} desde el día en que se {registró|registraron} (el archivo indicaba el origen pero no la fecha de prospecto): los prospectos y el tiempo hasta la conversión se cuentan desde entonces",
        columns: &["c.lead_at"],
        sql: concat!(
            "SELECT count(*) FROM contacts WHERE lead_at_inferred AND ",
            live!("contacts")
        ),
        reports: &["conversion", "lead_sources"],
        // The import says it in its own words when it infers them.
        in_rows: false,
    },
    Gap {
        id: "no_lead_sources",
        en: "{0} {contact|contacts} and not one has a lead source or a lead date: nobody counts as a lead, so conversion and lead sources are empty; map the file's source column and import again",
        es: "{0} {contacto|contactos} y ninguno tiene origen ni fecha de prospecto: nadie cuenta como prospecto, así que la conversión y los orígenes están vacíos; asigne la columna de origen del archivo e importe de nuevo",
        columns: &["c.lead_source"],
        sql: concat!(
            "SELECT count(*) FROM contacts WHERE ",
            live!("contacts"),
            " AND NOT EXISTS (SELECT 1 FROM contacts WHERE lead_source IS NOT NULL OR lead_at IS NOT NULL)"
        ),
        reports: &["conversion", "lead_sources"],
        in_rows: true,
    },
    Gap {
        id: "won_without_contact",
        en: "{0} won {deal names|deals name} no contact: nobody becomes a customer through {it|them}, so conversion and customer counts miss {it|them}",
        es: "{0} {oportunidad ganada no tiene|oportunidades ganadas no tienen} contacto: nadie se convierte en cliente por {ella|ellas}, así que la conversión y los clientes no {la|las} incluyen",
        columns: &["c.customer_at"],
        sql: concat!(
            "SELECT count(*) FROM deals WHERE contact_id IS NULL AND status = 'won' AND ",
            live!("deals")
        ),
        reports: &["conversion", "lead_sources", "customers"],
        in_rows: true,
    },
    Gap {
        id: "contacts_without_deals",
        en: "{0} {contact|contacts} and not one deal names a contact: no lead can become a customer, so conversion cannot be measured; map the deals' contact column (an e-mail or a name)",
        es: "{0} {contacto|contactos} y ninguna oportunidad nombra a un contacto: ningún prospecto puede convertirse en cliente, así que la conversión no se puede medir; asigne la columna de contacto de las oportunidades (un correo o un nombre)",
        columns: &["c.customer_at"],
        sql: concat!(
            "SELECT count(*) FROM contacts WHERE ",
            live!("contacts"),
            " AND EXISTS (SELECT 1 FROM deals) AND NOT EXISTS (SELECT 1 FROM deals WHERE contact_id IS NOT NULL)"
        ),
        reports: &["conversion", "lead_sources", "customers"],
        in_rows: true,
    },
    Gap {
        id: "created_at_inferred",
        en: "{0} {deal has no creation date of its own (the earliest date known of it|deals have no creation date of their own (the earliest date known of each} stands in): {it is|they are} left out of sales cycle lengths",
        es: "{0} {oportunidad no tiene fecha de creación propia (la más temprana que se conoce de ella|oportunidades no tienen fecha de creación propia (la más temprana que se conoce de cada una} la sustituye): {queda|quedan} fuera de la duración del ciclo de venta",
        columns: &["created_at_inferred"],
        sql: concat!(
            "SELECT count(*) FROM deals WHERE created_at_inferred AND ",
            live!("deals")
        ),
        reports: &["sales_cycle", "sales_performance"],
        // The import says it in its own words when it infers them.
        in_rows: false,
    },
    Gap {
        id: "lost_without_reason",
        en: "{0} lost {deal has|deals have} no lost reason: the breakdown by reason leaves {it|them} out",
        es: "{0} {oportunidad perdida no tiene|oportunidades perdidas no tienen} motivo de pérdida: el desglose por motivo no {la|las} incluye",
        columns: &["d.lost_reason"],
        sql: concat!(
            "SELECT count(*) FROM deals WHERE status = 'lost' AND lost_reason IS NULL AND ",
            live!("deals")
        ),
        reports: &["lost_deals"],
        in_rows: true,
    },
    Gap {
        id: "history_synthesised",
        en: "{0} {deal|deals} came without a stage history: {it was|each was} given one from its creation to its close, so the stages it passed, its time in each and the stage a lost deal was lost from are not known for {it|them}",
        es: "{0} {oportunidad llegó|oportunidades llegaron} sin historial de etapas: {se le|a cada una se le} dio uno desde su creación hasta su cierre, así que no se conocen las etapas por las que pasó, su tiempo en cada una ni la etapa en que se perdió",
        columns: &[],
        sql: concat!(
            "SELECT count(DISTINCT h.deal_id) FROM deal_stage_history h JOIN deals d ON d.id = h.deal_id
               WHERE h.synthesised AND ",
            live!("d")
        ),
        reports: &["pipeline", "sales_cycle", "lost_deals", "forecast"],
        in_rows: true,
    },
    Gap {
        id: "stages_guessed",
        en: "{0} open {stage was|stages were} created by an import that could not read {its|their} order or win probability: the funnel's order and every probability-weighted figure rest on a guess; give them in the mapping's [pipeline.stages] and import again",
        es: "{0} {etapa abierta la|etapas abiertas las} creó una importación que no pudo leer su orden ni su probabilidad de ganar: el orden del embudo y toda cifra ponderada por probabilidad se basan en una suposición; indíquelos en [pipeline.stages] del mapeo e importe de nuevo",
        columns: &["hs.probability"],
        sql: "SELECT count(*) FROM stages WHERE guessed AND kind = 'open'",
        reports: &["pipeline", "forecast", "sales_cycle"],
        in_rows: true,
    },
    Gap {
        id: "no_deals",
        en: "There are no deals in the store: the sales figures are empty for want of data; import them with `embudo import deals FILE`",
        es: "No hay oportunidades en el almacén: las cifras de ventas están vacías por falta de datos; impórtelas con `embudo import deals ARCHIVO`",
        columns: &["deals d"],
        sql: "SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM deals) THEN 1 ELSE 0 END",
        reports: &[
            "pipeline",
            "sales_performance",
            "sales_cycle",
            "lost_deals",
            "forecast",
            "profitability",
        ],
        in_rows: false,
    },
    Gap {
        id: "no_contacts",
        en: "There are no contacts in the store: prospects, conversion and the customer figures are empty for want of data; import them with `embudo import contacts FILE`",
        es: "No hay contactos en el almacén: los prospectos, la conversión y las cifras de clientes están vacíos por falta de datos; impórtelos con `embudo import contacts ARCHIVO`",
        columns: &["contacts c"],
        sql: "SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM contacts) THEN 1 ELSE 0 END",
        reports: &["conversion", "lead_sources", "customers"],
        in_rows: false,
    },
    Gap {
        id: "no_activities",
        en: "There are no activities in the store (calls, meetings, e-mails, proposals): every figure that counts them is zero for want of data",
        es: "No hay actividades en el almacén (llamadas, reuniones, correos, propuestas): toda cifra que las cuenta es cero por falta de datos",
        columns: &["activities"],
        sql: "SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM activities) THEN 1 ELSE 0 END",
        reports: &["activity", "sales_performance"],
        in_rows: false,
    },
    Gap {
        id: "no_orders",
        en: "There are no orders in the store: revenue is won deals alone, and customers who only bought outside a deal are missing",
        es: "No hay pedidos en el almacén: los ingresos son solo las oportunidades ganadas, y faltan los clientes que compraron fuera de una oportunidad",
        columns: &["revenue_lines", "c.customer_at"],
        sql: "SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM orders) THEN 1 ELSE 0 END",
        reports: &["profitability", "customers", "sales_performance"],
        in_rows: false,
    },
    Gap {
        id: "no_tickets",
        en: "There are no tickets or service calls in the store: the service figures are empty for want of data",
        es: "No hay incidencias ni llamadas de servicio en el almacén: las cifras de servicio están vacías por falta de datos",
        columns: &["tickets", "service_calls"],
        sql: "SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM tickets) AND NOT EXISTS (SELECT 1 FROM service_calls) THEN 1 ELSE 0 END",
        reports: &["service"],
        in_rows: false,
    },
    Gap {
        id: "no_service_calls",
        en: "There are no service calls in the store: calls per day, abandoned calls, handle time and callbacks are empty for want of data",
        es: "No hay llamadas de servicio en el almacén: las llamadas por día, las abandonadas, el tiempo de gestión y las devoluciones están vacíos por falta de datos",
        columns: &["service_calls"],
        sql: "SELECT CASE WHEN EXISTS (SELECT 1 FROM tickets) AND NOT EXISTS (SELECT 1 FROM service_calls) THEN 1 ELSE 0 END",
        reports: &["service"],
        in_rows: false,
    },
    Gap {
        id: "no_tickets_only_calls",
        en: "There are no tickets in the store: cases handled, resolution times and SLA compliance are empty for want of data",
        es: "No hay incidencias en el almacén: los casos atendidos, los tiempos de resolución y el cumplimiento de SLA están vacíos por falta de datos",
        columns: &["tickets t"],
        sql: "SELECT CASE WHEN EXISTS (SELECT 1 FROM service_calls) AND NOT EXISTS (SELECT 1 FROM tickets) THEN 1 ELSE 0 END",
        reports: &["service"],
        in_rows: false,
    },
    Gap {
        id: "resolved_without_work_time",
        en: "{0} resolved {ticket has|tickets have} no work time (help desks' exports seldom give it): cost per interaction counts {it|them} as costing nothing",
        es: "{0} {incidencia resuelta no tiene|incidencias resueltas no tienen} tiempo de trabajo (las exportaciones de los servicios de soporte rara vez lo dan): el costo por interacción {la cuenta|las cuenta} como sin costo",
        columns: &["t.work_seconds"],
        sql: "SELECT count(*) FROM tickets WHERE work_seconds IS NULL AND resolved_at IS NOT NULL",
        reports: &["service"],
        in_rows: true,
    },
    Gap {
        id: "agents_without_hourly_cost",
        en: "{0} {agent has|agents have} tickets or calls but no hourly cost: cost per interaction counts {its|their} work as costing nothing; give {it|them} one (users' hourly_cost) and import again",
        es: "{0} {agente tiene|agentes tienen} incidencias o llamadas pero no costo por hora: el costo por interacción cuenta su trabajo como sin costo; indíquelo (hourly_cost de los usuarios) e importe de nuevo",
        columns: &["own.hourly_cost"],
        sql: "SELECT count(*) FROM users u WHERE u.hourly_cost IS NULL
                AND (EXISTS (SELECT 1 FROM tickets t WHERE t.agent_id = u.id)
                     OR EXISTS (SELECT 1 FROM service_calls c WHERE c.agent_id = u.id))",
        reports: &["service"],
        // A setting of the users, not something missing from the rows a file brings.
        in_rows: false,
    },
    Gap {
        id: "no_campaigns",
        en: "There are no campaigns in the store: the campaign figures are empty for want of data",
        es: "No hay campañas en el almacén: las cifras de campañas están vacías por falta de datos",
        columns: &["campaigns", "campaign_events"],
        sql: "SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM campaigns) THEN 1 ELSE 0 END",
        reports: &["campaigns"],
        in_rows: false,
    },
    Gap {
        id: "no_web_visits",
        en: "There are no web visits in the store: the web figures are empty for want of data",
        es: "No hay visitas web en el almacén: las cifras web están vacías por falta de datos",
        columns: &["web_visits"],
        sql: "SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM web_visits) THEN 1 ELSE 0 END",
        reports: &["lead_sources"],
        in_rows: false,
    },
    Gap {
        id: "no_surveys",
        en: "There are no surveys in the store: NPS is empty for want of data, and CSAT counts only the scores given on tickets",
        es: "No hay encuestas en el almacén: el NPS está vacío por falta de datos, y el CSAT cuenta solo las puntuaciones de las incidencias",
        columns: &["surveys"],
        sql: "SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM surveys) THEN 1 ELSE 0 END",
        reports: &["customers"],
        in_rows: false,
    },
    Gap {
        id: "survey_kinds_not_embudos",
        en: "{0} {survey's kind is|surveys' kinds are} neither `nps` nor `csat` (an NPS tool writes `NPS`): NPS and CSAT leave {it|them} out; `embudo audit --check surveys.kind.label` names the kind meant and `embudo audit fix surveys.kind.label --apply` writes it",
        es: "{0} {encuesta tiene un tipo que|encuestas tienen un tipo que} no es `nps` ni `csat` (una herramienta de NPS escribe `NPS`): el NPS y el CSAT no {la|las} cuentan; `embudo audit --check surveys.kind.label` indica el tipo correcto y `embudo audit fix surveys.kind.label --apply` lo escribe",
        columns: &["sv.kind"],
        sql: "SELECT count(*) FROM surveys WHERE kind NOT IN ('nps', 'csat')",
        reports: &["customers"],
        in_rows: true,
    },
    Gap {
        id: "no_list_subscriptions",
        en: "There are no e-mail list subscriptions in the store: the list's growth is empty for want of data",
        es: "No hay suscripciones a listas de correo en el almacén: el crecimiento de la lista está vacío por falta de datos",
        columns: &["list_subscriptions"],
        sql: "SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM list_subscriptions) THEN 1 ELSE 0 END",
        reports: &["customers"],
        in_rows: false,
    },
    Gap {
        id: "no_subscriptions",
        en: "There are no subscriptions in the store: the renewal rate is empty for want of data, and retained customers are only those who bought in the period",
        es: "No hay suscripciones en el almacén: la tasa de renovación está vacía por falta de datos, y los clientes retenidos son solo los que compraron en el periodo",
        columns: &["subscriptions s"],
        sql: "SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM subscriptions) THEN 1 ELSE 0 END",
        reports: &["customers"],
        in_rows: false,
    },
    Gap {
        id: "no_goals",
        en: "There are no goals in the store: add them with `embudo goal add` (or the dashboard) to follow their progress",
        es: "No hay objetivos en el almacén: añádalos con `embudo goal add` (o en el panel) para seguir su avance",
        columns: &["goals"],
        sql: "SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM goals) THEN 1 ELSE 0 END",
        reports: &["goals"],
        in_rows: false,
    },
    Gap {
        id: "no_user_events",
        en: "There are no CRM usage events in the store: adoption figures are empty for want of data",
        es: "No hay eventos de uso del CRM en el almacén: las cifras de adopción están vacías por falta de datos",
        columns: &["user_events"],
        sql: "SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM user_events) THEN 1 ELSE 0 END",
        reports: &["adoption"],
        in_rows: false,
    },
];

/// A gap found: how many rows have it (1 for a table that is empty).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Found {
    pub gap: &'static str,
    pub rows: u64,
    /// "412 won or lost deals have no close date: they are missing from …"
    pub message: String,
    pub reports: &'static [&'static str],
}

impl Gap {
    /// What `rows` rows with this gap do to the figures, in `lang` (`es`, else English),
    /// the words agreeing with the count.
    pub fn sentence(&self, lang: &str, rows: u64) -> String {
        let template = if lang == "es" { self.es } else { self.en };
        counted(template, rows, lang)
    }
}

/// The gaps of `gaps` the store has, with their counts, all counted in one statement: a
/// report asks for four or five every time it is built, and on a busy server each
/// statement waits its turn.
fn present(
    store: &Store,
    gaps: impl Iterator<Item = &'static Gap>,
) -> Result<Vec<(&'static Gap, u64)>> {
    let gaps: Vec<&'static Gap> = gaps.collect();
    if gaps.is_empty() {
        return Ok(Vec::new());
    }
    // The counts are this module's own SQL, each a scalar subquery.
    let counts = gaps
        .iter()
        .enumerate()
        .map(|(i, gap)| format!("({}) AS g{i}", gap.sql))
        .collect::<Vec<_>>()
        .join(", ");
    let answer = store.query_with(&format!("SELECT {counts}"), &[])?;
    let row = answer.rows.into_iter().next().unwrap_or_default();
    Ok(gaps
        .into_iter()
        .zip(row)
        .map(|(gap, rows)| (gap, rows.as_u64().unwrap_or(0)))
        .filter(|&(_, rows)| rows > 0)
        .collect())
}

/// Every gap of imported rows the store has, with its count.
pub fn find(store: &Store) -> Result<Vec<Found>> {
    Ok(present(store, GAPS.iter().filter(|g| g.in_rows))?
        .into_iter()
        .map(|(gap, rows)| Found {
            gap: gap.id,
            rows,
            message: gap.sentence("en", rows),
            reports: gap.reports,
        })
        .collect())
}

/// Every gap the store has, with its count: counted once for several reports, each of which
/// notes those that affect it.
pub fn all(store: &Store) -> Result<Vec<(&'static Gap, u64)>> {
    present(store, GAPS.iter())
}

/// The gaps that affect `report`, with their counts.
pub fn affecting(store: &Store, report: &str) -> Result<Vec<(&'static Gap, u64)>> {
    present(store, GAPS.iter().filter(|g| g.reports.contains(&report)))
}

/// The gaps that make a metric partial: those touching a column its SQL reads, with their
/// counts.
pub fn touching<'a>(
    store: &Store,
    sql: impl Iterator<Item = &'a str> + Clone,
) -> Result<Vec<(&'static Gap, u64)>> {
    present(
        store,
        GAPS.iter().filter(|gap| {
            gap.columns
                .iter()
                .any(|column| sql.clone().any(|fragment| fragment.contains(column)))
        }),
    )
}
