//! The interface's words: (key, English, Spanish).

use embudo_model::text::agreeing;

const WORDS: &[(&str, &str, &str)] = &[
    ("home", "Home", "Inicio"),
    ("pipeline_board", "Pipeline board", "Tablero del embudo"),
    ("reports", "Reports", "Informes"),
    ("log_in", "Log in", "Entrar"),
    ("log_out", "Log out", "Salir"),
    ("email", "E-mail", "Correo electrónico"),
    ("password", "Password", "Contraseña"),
    (
        "login_expired",
        "The login form had expired: please log in again.",
        "El formulario de acceso había caducado: vuelve a iniciar sesión.",
    ),
    (
        "wrong_login",
        "Wrong e-mail or password",
        "Correo o contraseña incorrectos",
    ),
    (
        "headlines",
        "Headline metrics, last complete month",
        "Métricas clave, último mes completo",
    ),
    ("vs_previous", "vs previous month", "frente al mes anterior"),
    ("goals", "Goals", "Metas"),
    ("attained", "attained", "alcanzado"),
    (
        "expected_by_now",
        "expected by now",
        "esperado a esta fecha",
    ),
    ("alerts", "Alerts", "Alertas"),
    ("monitoring", "Monitoring", "Monitorización"),
    (
        "monitoring_how",
        "Reports delivered on a schedule and alerts on metrics, stale deals, goals and data quality: add and remove them with embudo schedule and embudo alert, or through the API.",
        "Informes enviados según un calendario y alertas sobre métricas, negocios estancados, objetivos y calidad de datos: se añaden y quitan con embudo schedule y embudo alert, o con la API.",
    ),
    ("schedules", "Scheduled reports", "Informes programados"),
    ("deliveries", "Latest deliveries", "Últimos envíos"),
    ("report", "Report", "Informe"),
    (
        "all_reports",
        "All reports (the pack)",
        "Todos los informes",
    ),
    ("weekday", "Weekday (weekly)", "Día (semanal)"),
    ("at_time", "At (local time)", "A las (hora local)"),
    (
        "recipients",
        "To (users' e-mails, comma-separated)",
        "Para (e-mails de usuarios, separados por comas)",
    ),
    ("attach", "Attach", "Adjuntar"),
    ("alert_when", "When", "Cuando"),
    ("every", "Every", "Cada"),
    ("cooldown", "Cool-down", "Pausa tras avisar"),
    (
        "each_of",
        "For each (a dimension, optional)",
        "Para cada (una dimensión, opcional)",
    ),
    ("remove_named", "Remove the one named", "Quitar el llamado"),
    ("remove", "Remove", "Quitar"),
    (
        "no_alerts",
        "Nothing needs attention.",
        "Nada requiere atención.",
    ),
    ("filters", "Filters", "Filtros"),
    ("from", "From", "Desde"),
    ("to", "To (exclusive)", "Hasta (exclusive)"),
    ("period", "Period", "Periodo"),
    ("custom", "Custom", "Personalizado"),
    ("this_week", "This week", "Esta semana"),
    ("last_week", "Last week", "Semana pasada"),
    ("this_month", "This month", "Este mes"),
    ("last_month", "Last month", "Mes pasado"),
    ("this_quarter", "This quarter", "Este trimestre"),
    ("last_quarter", "Last quarter", "Trimestre pasado"),
    ("this_year", "This year", "Este año"),
    ("last_year", "Last year", "Año pasado"),
    ("year_to_date", "Year to date", "En lo que va de año"),
    ("last_30_days", "Last 30 days", "Últimos 30 días"),
    ("last_90_days", "Last 90 days", "Últimos 90 días"),
    ("last_12_months", "Last 12 months", "Últimos 12 meses"),
    ("pipeline", "Pipeline", "Embudo"),
    ("owner", "Owner", "Responsable"),
    ("team", "Team", "Equipo"),
    ("source", "Lead source", "Origen"),
    ("apply", "Apply", "Aplicar"),
    ("export", "Export", "Exportar"),
    ("loading", "Loading the report…", "Cargando el informe…"),
    ("move", "Move", "Mover"),
    ("move_to", "Move to stage", "Mover a la etapa"),
    ("moved", "Moved:", "Movida:"),
    ("stale", "Stale", "Estancada"),
    // After a card's percentage: "45% win".
    ("win_probability", "win", "ganar"),
    (
        "probability_to_win",
        "Win probability",
        "Probabilidad de ganar",
    ),
    ("deals", "deals", "oportunidades"),
    ("language", "Español", "English"),
    ("data_audit", "Data audit", "Auditoría de datos"),
    (
        "stale_alert",
        "{n} open {deal has|deals have} not moved stage in {days} days",
        "{n} {oportunidad abierta lleva|oportunidades abiertas llevan} {days} días sin cambiar de etapa",
    ),
    (
        "quality_drop",
        "The data-quality score dropped from {before} to {latest}",
        "La puntuación de calidad de los datos bajó de {before} a {latest}",
    ),
    ("at_risk", "{goal}: at risk", "{goal}: en riesgo"),
    ("admin", "Administration", "Administración"),
    ("builder", "Custom report", "Informe personalizado"),
    ("metrics", "Metrics", "Métricas"),
    ("grain", "Grain", "Granularidad"),
    (
        "filter",
        "Filter (dimension:value)",
        "Filtro (dimensión:valor)",
    ),
    ("compare", "Compare with", "Comparar con"),
    ("preview", "Preview", "Vista previa"),
    ("saved_reports", "Saved reports", "Informes guardados"),
    ("users", "Users", "Usuarios"),
    ("new_user", "New user", "Nuevo usuario"),
    ("role", "Role", "Rol"),
    ("name", "Name", "Nombre"),
    ("save", "Save", "Guardar"),
    ("delete", "Delete", "Eliminar"),
    (
        "disable_user",
        "Disable the user with e-mail",
        "Desactivar al usuario con correo",
    ),
    ("disable", "Disable", "Desactivar"),
    (
        "role_of",
        "Role of the user with e-mail",
        "Rol del usuario con correo",
    ),
    (
        "token_for",
        "API token for the user with e-mail",
        "Token de API para el usuario con correo",
    ),
    ("create_token", "Create token", "Crear token"),
    (
        "token_once",
        "The new token, shown this once:",
        "El token nuevo, visible solo esta vez:",
    ),
    ("access_review", "Access review", "Revisión de accesos"),
    ("no_goals", "No goals yet.", "Aún no hay metas."),
    ("actual", "Actual", "Real"),
    ("target", "Target", "Objetivo"),
    ("new_goal", "New goal", "Nueva meta"),
    ("metric", "Metric", "Métrica"),
    ("direction", "Direction", "Sentido"),
    ("at_least", "At least", "Al menos"),
    ("at_most", "At most", "Como mucho"),
    ("behind", "{goal}: behind", "{goal}: retrasada"),
    ("overview", "Checks", "Comprobaciones"),
    ("duplicates", "Duplicates", "Duplicados"),
    ("merge_journal", "Merge journal", "Registro de fusiones"),
    ("quality_score", "Quality score", "Puntuación de calidad"),
    ("trend", "Trend", "Tendencia"),
    ("run", "Run", "Ejecución"),
    (
        "checks",
        "Checks with failing rows",
        "Comprobaciones con filas erróneas",
    ),
    ("check", "Check", "Comprobación"),
    ("severity", "Severity", "Gravedad"),
    ("failing", "Failing", "Erróneas"),
    ("samples", "Samples", "Ejemplos"),
    ("fix", "Fix", "Corrección"),
    (
        "apply_fixes",
        "Apply the suggested fixes",
        "Aplicar las correcciones",
    ),
    ("entity", "Records", "Registros"),
    (
        "no_duplicates",
        "No likely duplicates.",
        "No hay duplicados probables.",
    ),
    ("likely_same", "Likely the same", "Probablemente el mismo"),
    ("field", "Field", "Campo"),
    ("evidence", "Evidence", "Evidencia"),
    ("merge", "Merge", "Fusionar"),
    ("not_duplicate", "Not a duplicate", "No es un duplicado"),
    ("survivor", "Kept", "Conservado"),
    ("merged", "Merged", "Fusionado"),
    ("when", "When", "Cuándo"),
    ("by", "By", "Por"),
    ("undo", "Undo", "Deshacer"),
    ("undone", "Undone", "Deshecho"),
    ("notifications", "Notifications", "Avisos"),
    (
        "no_notifications",
        "Nothing has fired for you yet.",
        "Todavía no ha saltado nada para ti.",
    ),
    (
        "unread_notifications",
        "{count} unread notifications",
        "{count} avisos sin leer",
    ),
    ("mark_all_read", "Mark all read", "Marcar todo como leído"),
    ("alert", "Alert", "Alerta"),
    ("says", "What it says", "Qué dice"),
    ("unread", "unread", "no leída"),
    ("what_to_do", "What to do", "Qué hacer"),
    (
        "follow_up_each",
        "Create a follow-up task for each deal's owner",
        "Crear una tarea de seguimiento para el responsable de cada negocio",
    ),
    (
        "undo_follow_up",
        "Undo the follow-up tasks",
        "Deshacer las tareas de seguimiento",
    ),
    (
        "follow_up_undone",
        "The follow-up tasks were created and then undone.",
        "Las tareas de seguimiento se crearon y luego se deshicieron.",
    ),
    (
        "records_behind",
        "The records behind it",
        "Los registros detrás",
    ),
    (
        "records_hidden",
        "{count} records it named are no longer open, or are not yours to see.",
        "{count} registros que nombraba ya no están abiertos o no puedes verlos.",
    ),
    ("no_records", "No records.", "No hay registros."),
    ("whole_message", "The whole message", "El mensaje completo"),
    ("deal", "Deal", "Negocio"),
    ("stage", "Stage", "Etapa"),
    ("amount", "Amount", "Importe"),
    ("days_in_stage", "Days in stage", "Días en la etapa"),
    ("ticket", "Ticket", "Caso"),
    ("contact", "Contact", "Contacto"),
    ("related_deals", "Deals", "Negocios"),
    (
        "stage_history_made_up",
        "Stage history, estimated from the deal's dates (the import had no history)",
        "Historial de etapas, estimado a partir de las fechas (la importación no traía historial)",
    ),
    ("dimensions", "Dimensions", "Dimensiones"),
    (
        "amounts_in",
        "Amounts in {currency}",
        "Importes en {currency}",
    ),
    // The navigation's short names of pages whose titles are longer.
    ("nav_board", "Pipeline board", "Tablero"),
    ("nav_builder", "Custom report", "Informe a medida"),
    ("nav_audit", "Data audit", "Auditoría"),
    ("grain.day", "Day", "Día"),
    ("grain.week", "Week", "Semana"),
    ("grain.month", "Month", "Mes"),
    ("grain.quarter", "Quarter", "Trimestre"),
    ("grain.year", "Year", "Año"),
    (
        "compare.previous_period",
        "Previous period",
        "Periodo anterior",
    ),
    (
        "compare.previous_year",
        "Same period last year",
        "Mismo periodo del año anterior",
    ),
    (
        "behind_title",
        "{metric}: the records behind it",
        "{metric}: los registros detrás",
    ),
    (
        "behind_hidden",
        "{count} of them are records you may not open, left out here.",
        "{count} de ellos son registros que no puedes abrir y no se muestran.",
    ),
    (
        "behind_count",
        "{count} rows make this figure.",
        "{count} filas forman esta cifra.",
    ),
    (
        "behind_sum",
        "{count} rows make this figure; they add up to {sum}.",
        "{count} filas forman esta cifra; suman {sum}.",
    ),
    ("behind_over", "From {from} to {to}", "Del {from} al {to}"),
    ("measures", "Measures", "Medidas"),
    (
        "measure_top",
        "Counted (top of the ratio)",
        "Contadas (numerador)",
    ),
    (
        "measure_bottom",
        "Out of (bottom of the ratio)",
        "Sobre (denominador)",
    ),
    ("measure_n", "Part {n}", "Parte {n}"),
    ("record", "Record", "Registro"),
    ("value", "Value", "Valor"),
    ("open_records", "See the records", "Ver los registros"),
    ("company", "Company", "Empresa"),
    ("status", "Status", "Estado"),
    ("expected_close", "Expected close", "Cierre previsto"),
    ("created", "Created", "Creado"),
    ("closed", "Closed", "Cerrado"),
    ("lost_reason", "Reason lost", "Motivo de pérdida"),
    ("phone", "Phone", "Teléfono"),
    ("job_title", "Job title", "Cargo"),
    (
        "lifecycle_stage",
        "Lifecycle stage",
        "Etapa del ciclo de vida",
    ),
    ("lead_source", "Lead source", "Origen del prospecto"),
    ("industry", "Industry", "Sector"),
    ("country", "Country", "País"),
    ("city", "City", "Ciudad"),
    ("domain", "Domain", "Dominio"),
    ("employees", "Employees", "Empleados"),
    ("parent_company", "Parent company", "Empresa matriz"),
    ("activities", "Activities", "Actividades"),
    ("contacts", "Contacts", "Contactos"),
    ("tickets", "Tickets", "Casos"),
    ("stage_history", "Stage history", "Historial de etapas"),
    ("entered", "Entered", "Entrada"),
    ("exited", "Left", "Salida"),
    ("days", "Days", "Días"),
    ("subject", "Subject", "Asunto"),
    ("type", "Type", "Tipo"),
    ("outcome", "Outcome", "Resultado"),
    ("opened", "Opened", "Abierto"),
    ("resolved", "Resolved", "Resuelto"),
    (
        "latest_of",
        "The latest {shown} of {total}",
        "Los {shown} más recientes de {total}",
    ),
    ("priority", "Priority", "Prioridad"),
    ("agent", "Agent", "Agente"),
    ("sla_due", "SLA due", "Vence el SLA"),
    (
        "open_goals",
        "The goals and their drivers",
        "Las metas y sus impulsores",
    ),
    (
        "open_metric",
        "{metric} over the period, in the report builder",
        "{metric} en el periodo, en el generador de informes",
    ),
    (
        "open_audit",
        "The failing checks and their fixes",
        "Las comprobaciones que fallan y sus correcciones",
    ),
    ("open_forecast", "The forecast", "La previsión"),
    (
        "open_service",
        "The service report",
        "El informe de servicio",
    ),
    (
        "open_activity",
        "Your tasks in the activity report",
        "Tus tareas en el informe de actividad",
    ),
    (
        "stale_title",
        "Deals that have not moved stage",
        "Negocios que no han cambiado de etapa",
    ),
    (
        "stale_intro",
        "Open deals you can see whose stage has not changed in {days} days, the stalest first.",
        "Negocios abiertos que puedes ver cuya etapa no ha cambiado en {days} días, los más estancados primero.",
    ),
    ("dashboards", "Dashboards", "Paneles"),
    ("dashboard", "Dashboard", "Panel"),
    (
        "no_dashboards",
        "No dashboards yet: create one here, or pin a report section or a custom report to a new one from its page.",
        "Aún no hay paneles: crea uno aquí, o fija una sección de un informe o un informe a medida en uno nuevo desde su página.",
    ),
    ("new_dashboard", "New dashboard", "Panel nuevo"),
    (
        "new_dashboard_name",
        "Name of a new dashboard",
        "Nombre de un panel nuevo",
    ),
    ("my_dashboard", "My dashboard", "Mi panel"),
    ("made_by", "Made by", "Creado por"),
    ("made_by_whom", "Made by {owner}", "Creado por {owner}"),
    ("shown_to", "Shown to", "Visible para"),
    ("shown_to_owner", "Only its owner", "Solo su creador"),
    ("shown_to_a_team", "A team", "Un equipo"),
    ("shown_to_team", "Team {team}", "Equipo {team}"),
    (
        "shown_to_company",
        "Everyone in the company",
        "Toda la empresa",
    ),
    ("tiles", "Tiles", "Elementos"),
    ("create", "Create", "Crear"),
    (
        "empty_dashboard",
        "Nothing pinned yet: open a report or the custom report builder and use “Pin to dashboard”.",
        "Aún no hay nada fijado: abre un informe o el creador de informes y usa «Fijar en un panel».",
    ),
    ("pin", "Pin to dashboard", "Fijar en un panel"),
    ("as_shown", "As shown", "Como se muestra"),
    ("width", "Width", "Ancho"),
    ("width.third", "⅓", "⅓"),
    ("width.half", "½", "½"),
    ("width.two_thirds", "⅔", "⅔"),
    ("width.full", "Full", "Completo"),
    ("move_up", "Move earlier", "Mover antes"),
    ("move_down", "Move later", "Mover después"),
    (
        "dashboard_settings",
        "Name and sharing",
        "Nombre y uso compartido",
    ),
    (
        "delete_dashboard",
        "Delete this dashboard",
        "Eliminar este panel",
    ),
    ("dashboard_created", "Dashboard created", "Panel creado"),
    ("dashboard_deleted", "Dashboard deleted", "Panel eliminado"),
    ("pinned", "Pinned", "Fijado"),
    ("arranged", "Arranged", "Reordenado"),
    ("saved", "Saved", "Guardado"),
    ("as_of_day", "As of {day}", "A fecha de {day}"),
    ("was", "was {value}", "antes {value}"),
    (
        "probability_of_stage",
        "{p}, its stage's: no model in use (embudo forecast train makes one from your closed deals)",
        "{p}, el de su etapa: no hay modelo en uso (embudo forecast train crea uno con tus negocios cerrados)",
    ),
    (
        "raises_odds",
        "raises the odds",
        "aumenta las probabilidades",
    ),
    (
        "lowers_odds",
        "lowers the odds",
        "reduce las probabilidades",
    ),
    (
        "score_factors",
        "Win probability: what moves it",
        "Probabilidad de ganar: qué la mueve",
    ),
    (
        "score_raise",
        "What would raise it today",
        "Qué la aumentaría hoy",
    ),
    ("factor", "Factor", "Factor"),
    (
        "effect_on_odds",
        "Effect on the odds (log-odds)",
        "Efecto en las probabilidades (log-odds)",
    ),
    ("action", "Action", "Acción"),
    ("changes", "Changes", "Cambios"),
    ("from_value", "From", "De"),
    ("to_value", "To", "A"),
    ("field.stage_id", "Stage", "Etapa"),
    ("field.amount", "Amount", "Importe"),
    ("field.owner_id", "Owner", "Responsable"),
    (
        "field.expected_close_date",
        "Expected close",
        "Cierre previsto",
    ),
    ("field.status", "Status", "Estado"),
    ("campaigns", "Campaigns", "Campañas"),
    ("campaign", "Campaign", "Campaña"),
    ("channel", "Channel", "Canal"),
    ("event", "Event", "Evento"),
    (
        "merge_history",
        "Records merged into this one",
        "Registros fusionados en este",
    ),
    ("merged_record", "Merged record", "Registro fusionado"),
    (
        "tile_not_yours",
        "Your role does not see this: the tile stays empty for you.",
        "Tu rol no permite ver esto: el elemento queda vacío para ti.",
    ),
    (
        "tile_section_gone",
        "The report {report} no longer has the section {section}.",
        "El informe {report} ya no tiene la sección {section}.",
    ),
];

/// `key` in `lang` with each `{name}` replaced by its value.
pub fn say(key: &str, lang: &str, values: &[(&str, &str)]) -> String {
    fill(word(key, lang).to_owned(), values)
}

/// As [`say`], for words about `n` things: each `{one|other}` in them agrees with `n`.
pub fn say_counting(key: &str, lang: &str, n: usize, values: &[(&str, &str)]) -> String {
    fill(agreeing(word(key, lang), n as u64), values)
}

fn fill(words: String, values: &[(&str, &str)]) -> String {
    values.iter().fold(words, |text, (name, value)| {
        text.replace(&format!("{{{name}}}"), value)
    })
}

/// `key` in `lang` (`es`, else English); the key itself if it has no words.
pub fn word<'a>(key: &'a str, lang: &str) -> &'a str {
    WORDS
        .iter()
        .find(|(k, _, _)| *k == key)
        .map_or(key, |(_, en, es)| if lang == "es" { es } else { en })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_about_a_count_agree_with_it() {
        let stale = |n: usize, lang| {
            say_counting(
                "stale_alert",
                lang,
                n,
                &[("n", &n.to_string()), ("days", "30")],
            )
        };
        assert_eq!(stale(1, "en"), "1 open deal has not moved stage in 30 days");
        assert_eq!(
            stale(4, "en"),
            "4 open deals have not moved stage in 30 days"
        );
        assert_eq!(
            stale(1, "es"),
            "1 oportunidad abierta lleva 30 días sin cambiar de etapa"
        );
        assert_eq!(
            stale(4, "es"),
            "4 oportunidades abiertas llevan 30 días sin cambiar de etapa"
        );
    }
}
