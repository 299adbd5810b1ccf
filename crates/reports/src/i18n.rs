//! Labels of reports, sections and columns in English and Spanish. Metric-named columns take
//! the metric catalogue's labels.

/// (key, English, Spanish)
const LABELS: &[(&str, &str, &str)] = &[
    (
        "compare.previous_period",
        "previous period",
        "periodo anterior",
    ),
    ("compare.previous_year", "previous year", "año anterior"),
    ("unit.points", "pts", "pp"),
    // Reports
    (
        "report.pipeline",
        "Pipeline report",
        "Informe de canalización",
    ),
    (
        "report.profitability",
        "Profitability report",
        "Informe de rentabilidad",
    ),
    (
        "report.sales_cycle",
        "Sales cycle report",
        "Informe del ciclo de ventas",
    ),
    (
        "report.sales_performance",
        "Sales performance report",
        "Informe de rendimiento de ventas",
    ),
    (
        "report.forecast",
        "Sales forecast report",
        "Informe de previsión de ventas",
    ),
    (
        "report.conversion",
        "Sales conversion report",
        "Informe de conversión de ventas",
    ),
    (
        "report.goals",
        "Goal progress report",
        "Informe de progreso de la meta",
    ),
    (
        "report.lead_sources",
        "Lead sources report",
        "Informe de clientes potenciales",
    ),
    (
        "report.lost_deals",
        "Lost deals report",
        "Informe de transacciones perdidas",
    ),
    (
        "report.activity",
        "Sales activity report",
        "Informe de actividad de ventas",
    ),
    (
        "report.campaigns",
        "Campaigns report",
        "Informe de campañas",
    ),
    (
        "report.customers",
        "Customers report",
        "Informe de clientes",
    ),
    (
        "report.service",
        "Customer service report",
        "Informe de servicio al cliente",
    ),
    (
        "report.adoption",
        "CRM adoption report",
        "Informe de adopción del CRM",
    ),
    // Sections
    (
        "section.stages",
        "Open deals by stage",
        "Oportunidades abiertas por etapa",
    ),
    (
        "section.funnel",
        "Funnel of deals created in the range",
        "Embudo de las oportunidades creadas en el periodo",
    ),
    (
        "section.next_to_close",
        "Next to close",
        "Próximas a cerrar",
    ),
    (
        "section.by_source",
        "By lead source",
        "Por origen del prospecto",
    ),
    ("section.over_time", "Over time", "A lo largo del tiempo"),
    ("section.by_owner", "By owner", "Por responsable"),
    ("section.totals", "Totals", "Totales"),
    ("section.saved", "Figures", "Cifras"),
    (
        "label.no_owner",
        "Orders and unassigned deals",
        "Pedidos y negocios sin asignar",
    ),
    (
        "section.deals_over_time",
        "Deals over time",
        "Oportunidades a lo largo del tiempo",
    ),
    (
        "section.by_reason",
        "By lost reason",
        "Por motivo de pérdida",
    ),
    (
        "section.by_last_stage",
        "By last open stage",
        "Por última etapa abierta",
    ),
    ("section.lost_list", "Lost deals", "Oportunidades perdidas"),
    (
        "section.by_owner_and_type",
        "By owner and activity type",
        "Por responsable y tipo de actividad",
    ),
    ("section.by_campaign", "By campaign", "Por campaña"),
    ("section.summary", "Summary", "Resumen"),
    ("section.by_agent", "By agent", "Por agente"),
    ("section.overall", "Overall", "General"),
    ("section.by_user", "By user", "Por usuario"),
    (
        "section.inactive_users",
        "Users with access who have not logged in for 90 days",
        "Usuarios con acceso que no han entrado en 90 días",
    ),
    ("section.progress", "Progress", "Progreso"),
    (
        "section.drivers",
        "Drivers of goals that are behind",
        "Impulsores de las metas atrasadas",
    ),
    ("section.cycle", "Sales cycle", "Ciclo de ventas"),
    ("section.stage_duration", "Days per stage", "Días por etapa"),
    (
        "section.trend",
        "Trend by quarter",
        "Tendencia por trimestre",
    ),
    ("section.by_customer", "By customer", "Por cliente"),
    (
        "section.missing_cost",
        "Customers whose revenue lacks a cost",
        "Clientes cuyos ingresos no tienen coste",
    ),
    (
        "section.by_month",
        "By expected close month",
        "Por mes de cierre previsto",
    ),
    ("section.deals", "Open deals", "Oportunidades abiertas"),
    // Columns
    ("col.period", "Period", "Periodo"),
    ("col.pipeline", "Pipeline", "Embudo"),
    ("col.stage", "Stage", "Etapa"),
    ("col.owner", "Owner", "Responsable"),
    ("value.open", "Open", "Abierto"),
    ("value.sent", "Sent", "Enviado"),
    ("value.delivered", "Delivered", "Entregado"),
    ("value.opened", "Opened", "Abierto"),
    ("value.clicked", "Clicked", "Clic"),
    ("value.responded", "Responded", "Respondió"),
    ("value.unsubscribed", "Unsubscribed", "Se dio de baja"),
    ("value.bounced", "Bounced", "Rebotado"),
    ("value.deals", "Deal", "Negocio"),
    ("value.orders", "Order", "Pedido"),
    ("value.contacts", "Contact", "Contacto"),
    ("value.activities", "Activity", "Actividad"),
    ("value.tickets", "Ticket", "Caso"),
    ("value.service_calls", "Service call", "Llamada de servicio"),
    ("value.campaigns", "Campaign", "Campaña"),
    (
        "value.campaign_events",
        "Campaign event",
        "Evento de campaña",
    ),
    ("value.web_visits", "Web visit", "Visita web"),
    ("value.subscriptions", "Subscription", "Suscripción"),
    (
        "value.list_subscriptions",
        "List subscription",
        "Suscripción a lista",
    ),
    ("value.surveys", "Survey", "Encuesta"),
    ("value.users", "User", "Usuario"),
    ("value.won", "Won", "Ganado"),
    ("value.lost", "Lost", "Perdido"),
    ("value.call", "Call", "Llamada"),
    ("value.email", "E-mail", "Correo"),
    ("value.task", "Task", "Tarea"),
    ("value.note", "Note", "Nota"),
    ("value.meeting", "Meeting", "Reunión"),
    ("value.proposal", "Proposal", "Propuesta"),
    ("value.demo", "Demo", "Demostración"),
    ("value.completed", "Completed", "Completada"),
    ("value.connected", "Connected", "Contestada"),
    ("value.no_answer", "No answer", "Sin respuesta"),
    ("value.voicemail", "Voicemail", "Buzón de voz"),
    ("value.cancelled", "Cancelled", "Cancelada"),
    ("value.subscriber", "Subscriber", "Suscriptor"),
    ("value.lead", "Lead", "Prospecto"),
    ("value.opportunity", "Opportunity", "Oportunidad"),
    ("value.customer", "Customer", "Cliente"),
    ("value.evangelist", "Evangelist", "Promotor"),
    ("value.low", "Low", "Baja"),
    ("value.normal", "Normal", "Media"),
    ("value.high", "High", "Alta"),
    ("value.urgent", "Urgent", "Urgente"),
    (
        "value.mql",
        "Marketing qualified lead",
        "Prospecto calificado por marketing",
    ),
    (
        "value.sql",
        "Sales qualified lead",
        "Prospecto calificado por ventas",
    ),
    ("value.new_business", "New business", "Nuevo negocio"),
    ("value.achieved", "Achieved", "Alcanzada"),
    ("value.on_track", "On track", "En camino"),
    ("value.at_risk", "At risk", "En riesgo"),
    ("value.behind", "Behind", "Retrasada"),
    ("value.upsell", "Upsell", "Venta adicional"),
    ("value.renewal", "Renewal", "Renovación"),
    ("col.product_line", "Product line", "Línea de producto"),
    ("col.deal_type", "Deal type", "Tipo de oportunidad"),
    ("col.industry", "Industry", "Sector"),
    ("col.country", "Country", "País"),
    ("col.ticket_type", "Ticket type", "Tipo de caso"),
    ("col.priority", "Priority", "Prioridad"),
    ("col.team", "Team", "Equipo"),
    ("col.lead_source", "Lead source", "Origen"),
    ("col.campaign", "Campaign", "Campaña"),
    ("col.channel", "Channel", "Canal"),
    ("col.lost_reason", "Lost reason", "Motivo de pérdida"),
    ("col.activity_type", "Activity type", "Tipo de actividad"),
    ("col.product", "Product", "Producto"),
    ("col.deal", "Deal", "Oportunidad"),
    ("col.metric", "Metric", "Métrica"),
    ("col.value", "Value", "Valor"),
    ("col.previous", "Previous", "Anterior"),
    ("col.change_pct", "Change", "Variación"),
    ("col.share", "Share of leads", "Porcentaje de prospectos"),
    ("col.converted", "Converted", "Convertidos"),
    (
        "col.avg_days_to_convert",
        "Average days to convert",
        "Días medios hasta la conversión",
    ),
    (
        "col.avg_converted_deal_size",
        "Average deal of the converted",
        "Oportunidad media de los convertidos",
    ),
    (
        "col.avg_days_in_stage",
        "Average days in stage",
        "Días medios en la etapa",
    ),
    (
        "col.stale_deals",
        "Stale (no activity in 14 days)",
        "Estancadas (sin actividad en 14 días)",
    ),
    ("col.reached", "Reached", "Alcanzaron"),
    (
        "col.step_conversion",
        "Step conversion",
        "Conversión del paso",
    ),
    (
        "col.cumulative_conversion",
        "Cumulative conversion",
        "Conversión acumulada",
    ),
    ("col.amount", "Amount", "Importe"),
    (
        "col.weighted_amount",
        "Weighted amount",
        "Importe ponderado",
    ),
    (
        "col.model_weighted_amount",
        "Model-weighted amount",
        "Importe ponderado por el modelo",
    ),
    (
        "col.win_probability",
        "Win probability",
        "Probabilidad de ganar",
    ),
    ("col.top_factors", "Top factors", "Factores principales"),
    (
        "col.expected_revenue",
        "Expected revenue",
        "Ingresos esperados",
    ),
    ("col.p10", "P10 revenue", "Ingresos P10"),
    ("col.p50", "P50 revenue", "Ingresos P50"),
    ("col.p90", "P90 revenue", "Ingresos P90"),
    (
        "col.goal_reach",
        "Chance of reaching the goal",
        "Probabilidad de alcanzar la meta",
    ),
    (
        "col.expected_close_date",
        "Expected close",
        "Cierre previsto",
    ),
    ("col.closed_at", "Closed", "Cerrada"),
    (
        "col.activities_completed",
        "Activities completed",
        "Actividades completadas",
    ),
    (
        "col.completed_last_7_days",
        "Completed in the last 7 days",
        "Completadas en los últimos 7 días",
    ),
    (
        "col.scheduled_next_7_days",
        "Scheduled in the next 7 days",
        "Programadas en los próximos 7 días",
    ),
    ("col.overdue", "Overdue", "Vencidas"),
    ("col.sent", "Sent", "Enviados"),
    ("col.delivered", "Delivered", "Entregados"),
    ("col.opened", "Opened", "Abiertos"),
    ("col.clicked", "Clicked", "Clics"),
    ("col.cost", "Cost", "Coste"),
    ("col.user", "User", "Usuario"),
    ("col.logins", "Logins", "Accesos"),
    (
        "col.records_created",
        "Records created",
        "Registros creados",
    ),
    (
        "col.records_updated",
        "Records updated",
        "Registros actualizados",
    ),
    (
        "col.reports_viewed",
        "Reports viewed",
        "Informes consultados",
    ),
    ("col.last_login", "Last login", "Último acceso"),
    ("col.role", "Role", "Rol"),
    ("col.goal", "Goal", "Meta"),
    ("col.target", "Target", "Objetivo"),
    ("col.actual", "Actual", "Real"),
    ("col.attainment", "Attainment", "Cumplimiento"),
    (
        "col.expected_attainment",
        "Expected by now",
        "Esperado a la fecha",
    ),
    ("col.projected", "Projected", "Proyectado"),
    ("col.status", "Status", "Estado"),
    ("col.driver", "Driver metric", "Métrica impulsora"),
    ("col.customer", "Customer", "Cliente"),
    ("col.margin_pct", "Margin %", "Margen %"),
    (
        "col.purchases",
        "Won deals and orders",
        "Oportunidades ganadas y pedidos",
    ),
    ("col.first_purchase", "First purchase", "Primera compra"),
    ("col.last_purchase", "Last purchase", "Última compra"),
    ("col.repeat", "Repeat customer", "Cliente recurrente"),
    (
        "col.revenue_share",
        "Share of revenue",
        "Porcentaje de ingresos",
    ),
    (
        "col.cumulative_share",
        "Cumulative share",
        "Porcentaje acumulado",
    ),
    (
        "col.lines_without_cost",
        "Revenue lines without cost",
        "Líneas de ingreso sin coste",
    ),
    ("col.month", "Month", "Mes"),
    ("col.deals", "Deals", "Oportunidades"),
    (
        "col.won_revenue",
        "Revenue already won",
        "Ingresos ya ganados",
    ),
    ("col.label", "Name", "Nombre"),
    (
        "col.probability",
        "Stage probability",
        "Probabilidad de la etapa",
    ),
];

/// The factors of a deal's win probability (`deal_scores.factors`), by feature.
const FACTORS: &[(&str, &str, &str)] = &[
    ("pipeline", "Pipeline", "Embudo"),
    ("stage", "Stage", "Etapa"),
    (
        "stage_probability",
        "Stage probability",
        "Probabilidad de la etapa",
    ),
    (
        "stages_back",
        "Stages back from the furthest reached",
        "Etapas por detrás de la más avanzada",
    ),
    ("days_in_stage", "Days in stage", "Días en la etapa"),
    (
        "age_ratio",
        "Age against the typical cycle",
        "Edad frente al ciclo típico",
    ),
    ("amount", "Amount", "Importe"),
    ("source", "Lead source", "Origen"),
    ("deal_type", "Deal type", "Tipo de oportunidad"),
    (
        "owner_close_rate",
        "Owner's close rate",
        "Tasa de cierre del responsable",
    ),
    (
        "activities_14d",
        "Activities in the last 14 days",
        "Actividades en los últimos 14 días",
    ),
    (
        "activities_30d",
        "Activities in the last 30 days",
        "Actividades en los últimos 30 días",
    ),
    (
        "days_since_activity",
        "Days since the last activity",
        "Días desde la última actividad",
    ),
    (
        "next_activity_scheduled",
        "Next activity scheduled",
        "Próxima actividad programada",
    ),
    (
        "close_date_pushes",
        "Close date pushed back",
        "Fecha de cierre aplazada",
    ),
];

/// A factor as a person reads it: `Stage (Proposal)`, `Days in stage (45)`,
/// `Next activity scheduled (no)`; the feature's own name when it has no label.
pub fn factor(feature: &str, value: &serde_json::Value, lang: &str) -> String {
    let name = FACTORS
        .iter()
        .find(|(key, _, _)| *key == feature)
        .map_or(feature, |(_, en, es)| if lang == "es" { es } else { en });
    let value = match value {
        serde_json::Value::Bool(yes) => Some(
            match (yes, lang) {
                (true, "es") => "sí",
                (false, "es") => "no",
                (true, _) => "yes",
                (false, _) => "no",
            }
            .to_owned(),
        ),
        // Embudo's own values in words (`new_business`, `email`), a user's as written.
        serde_json::Value::String(text) => Some(value_label(feature, text, lang)),
        serde_json::Value::Number(n) => n.as_f64().map(|x| {
            let english = if x.fract() == 0.0 {
                format!("{x:.0}")
            } else {
                format!("{x:.2}")
            };
            if lang == "es" {
                crate::model::spanish(&english)
            } else {
                english
            }
        }),
        _ => None,
    };
    match value {
        Some(value) => format!("{name} ({value})"),
        None => name.to_owned(),
    }
}

/// The label of `key` in `lang` (`es` or English); the key itself if it has none.
pub fn label(key: &str, lang: &str) -> String {
    LABELS
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, en, es)| if lang == "es" { *es } else { *en })
        .unwrap_or(key)
        .to_owned()
}

/// The label of column `key`: a metric's label, a metric with a comparison suffix, or a
/// column of the table above.
pub fn column_label(key: &str, lang: &str) -> String {
    if let Some(metric) = embudo_metrics::catalog::find(key) {
        return metric.label(lang).to_owned();
    }
    for (suffix, word) in [
        ("_previous", "col.previous"),
        ("_change_pct", "col.change_pct"),
    ] {
        if let Some(metric) = key
            .strip_suffix(suffix)
            .and_then(embudo_metrics::catalog::find)
        {
            return format!(
                "{} ({})",
                metric.label(lang),
                label(word, lang).to_lowercase()
            );
        }
    }
    label(&format!("col.{key}"), lang)
}

/// Every key of the table, for checking that each has both languages.
pub fn keys() -> impl Iterator<Item = (&'static str, &'static str, &'static str)> {
    LABELS.iter().copied()
}

/// Embudo's own lead sources as a sentence names them (`paid_ads` leads are "paid ads"
/// leads, prospectos de "anuncios de pago"); a user's own label is left as they wrote it.
const SOURCE_WORDS: [(&str, &str, &str); 9] = [
    ("email", "email", "correo electrónico"),
    ("paid_ads", "paid ads", "anuncios de pago"),
    ("organic", "organic search", "búsqueda orgánica"),
    ("referral", "referral", "referidos"),
    ("social", "social media", "redes sociales"),
    ("event", "event", "eventos"),
    ("direct", "direct", "tráfico directo"),
    ("partner", "partner", "socios"),
    ("other", "other", "otros orígenes"),
];

/// A lead source in a sentence of `lang`: Embudo's own labels in words, others as they are.
pub fn source_words(source: &str, lang: &str) -> String {
    SOURCE_WORDS
        .iter()
        .find(|(label, _, _)| *label == source)
        .map_or(source, |(_, en, es)| if lang == "es" { es } else { en })
        .to_owned()
}

/// Columns whose values are Embudo's own words (a status, an activity type, a lifecycle
/// stage, a priority, a deal type, an outcome, a kind of record).
const WORDED_COLUMNS: [&str; 10] = [
    "status",
    "event",
    "activity_type",
    "type",
    "lifecycle_stage",
    "priority",
    "deal_type",
    "outcome",
    "record",
    "ticket_type",
];

/// A stored value of `column` as people read it in `lang`: a metric by its label, Embudo's
/// own lead sources and channels in words (`paid_ads` is "Paid ads"), its own statuses,
/// activity types and the like by name; anything else — names, and a user's own
/// vocabulary — as written.
pub fn value_label(column: &str, value: &str, lang: &str) -> String {
    if matches!(column, "metric" | "driver")
        && let Some(metric) = embudo_metrics::catalog::find(value)
    {
        return metric.label(lang).to_owned();
    }
    if matches!(column, "lead_source" | "source" | "channel")
        && SOURCE_WORDS.iter().any(|(own, _, _)| *own == value)
    {
        // Embudo's own source, named in words and capitalised as a label.
        let words = source_words(value, lang);
        let mut letters = words.chars();
        return letters
            .next()
            .map(|first| first.to_uppercase().chain(letters).collect())
            .unwrap_or_default();
    }
    if WORDED_COLUMNS.contains(&column) {
        let key = format!("value.{value}");
        let named = label(&key, lang);
        if named != key {
            return named;
        }
    }
    value.to_owned()
}

/// What the forecast says would raise a deal's win probability, in `lang`: its own words in
/// English, its Spanish where known.
pub fn raise_words(action: &str, lang: &str) -> String {
    const SPANISH: [(&str, &str); 3] = [
        (
            "schedule the next activity",
            "programar la próxima actividad",
        ),
        ("complete an activity today", "completar una actividad hoy"),
        (
            "agree a close date and keep it (no more pushes)",
            "acordar una fecha de cierre y mantenerla (sin más aplazamientos)",
        ),
    ];
    match SPANISH.iter().find(|(english, _)| *english == action) {
        Some((_, spanish)) if lang == "es" => (*spanish).to_owned(),
        _ => action.to_owned(),
    }
}

/// The title of the whole pack of reports.
pub fn pack_title(lang: &str) -> String {
    if lang == "es" {
        "Informes de Embudo".into()
    } else {
        "Embudo reports".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embudo_s_own_values_read_as_words_and_the_user_s_as_written() {
        assert_eq!(value_label("lead_source", "paid_ads", "en"), "Paid ads");
        assert_eq!(
            value_label("lead_source", "paid_ads", "es"),
            "Anuncios de pago"
        );
        // A user's own vocabulary, and a name that happens to be a word.
        assert_eq!(
            value_label("lead_source", "search_paid", "es"),
            "search_paid"
        );
        assert_eq!(value_label("owner", "Lead", "es"), "Lead");
        assert_eq!(value_label("activity_type", "call", "es"), "Llamada");
        assert_eq!(value_label("status", "won", "en"), "Won");
        assert_eq!(
            value_label("deal_type", "new_business", "es"),
            "Nuevo negocio"
        );
    }
}
