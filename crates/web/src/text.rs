//! The interface's words: (key, English, Spanish).

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
    ("this_month", "This month", "Este mes"),
    ("last_month", "Last month", "Mes pasado"),
    ("this_quarter", "This quarter", "Este trimestre"),
    ("last_90_days", "Last 90 days", "Últimos 90 días"),
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
    ("win_probability", "win", "ganar"),
    ("deals", "deals", "oportunidades"),
    ("language", "Español", "English"),
    ("data_audit", "Data audit", "Auditoría de datos"),
    (
        "stale_alert",
        "{n} open deals have not moved stage in {days} days",
        "{n} oportunidades abiertas llevan {days} días sin cambiar de etapa",
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
];

/// `key` in `lang` with each `{name}` replaced by its value.
pub fn say(key: &str, lang: &str, values: &[(&str, &str)]) -> String {
    values
        .iter()
        .fold(word(key, lang).to_owned(), |text, (name, value)| {
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
