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
];

/// `key` in `lang` (`es`, else English); the key itself if it has no words.
pub fn word<'a>(key: &'a str, lang: &str) -> &'a str {
    WORDS
        .iter()
        .find(|(k, _, _)| *k == key)
        .map_or(key, |(_, en, es)| if lang == "es" { es } else { en })
}
