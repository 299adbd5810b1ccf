//! Dashboards people compose: tiles pinned from report sections, metrics and saved custom
//! reports, kept in order and width, shown to their owner, a team or the whole company.
//!
//! Who may see, arrange and share one is `embudo_access`'s decision, asked here before any
//! read or write; what a tile shows is computed by whoever renders it, over the viewer's
//! own records.

use crate::ReportError;
use chrono::{NaiveDate, NaiveDateTime};
use embudo_access::Caller;
use embudo_access::scope::Audience;
use embudo_metrics::custom::ReportSpec;
use embudo_metrics::{Calendar, Preset};
use embudo_store::Store;
use embudo_store::dashboards::{DashboardFields, StoredDashboard};
use embudo_store::names::Named;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The most tiles a dashboard holds: opening one computes every tile.
pub const MAX_TILES: usize = 24;

/// What a tile shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Shows {
    /// One section of a canned report, with the query of its page or API call
    /// (`period=last_quarter&pipeline=Sales`).
    Section {
        report: String,
        section: String,
        #[serde(default)]
        query: String,
    },
    /// Metrics over a period: one metric with its grain, dimensions, filters and comparison,
    /// or several side by side. `period` names a preset that moves with the calendar;
    /// otherwise `from` and `to` are fixed.
    Metrics {
        metrics: Vec<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        by: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        grain: Option<String>,
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        filters: BTreeMap<String, String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        compare: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        period: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<String>,
    },
    /// A saved custom report, as its saver keeps it.
    Saved { name: String },
}

/// How much of a dashboard's row a tile takes (a phone shows every tile full width).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Width {
    Third,
    #[default]
    Half,
    TwoThirds,
    Full,
}

impl Width {
    pub const ALL: [Width; 4] = [Width::Third, Width::Half, Width::TwoThirds, Width::Full];

    /// The name the API and the forms use.
    pub fn as_str(self) -> &'static str {
        match self {
            Width::Third => "third",
            Width::Half => "half",
            Width::TwoThirds => "two_thirds",
            Width::Full => "full",
        }
    }

    /// Columns of a twelve-column grid.
    pub fn columns(self) -> u8 {
        match self {
            Width::Third => 4,
            Width::Half => 6,
            Width::TwoThirds => 8,
            Width::Full => 12,
        }
    }
}

impl std::str::FromStr for Width {
    type Err = ReportError;

    fn from_str(text: &str) -> Result<Width, ReportError> {
        Width::ALL
            .into_iter()
            .find(|w| w.as_str() == text)
            .ok_or_else(|| {
                ReportError::Invalid(format!(
                    "no width '{text}': third, half, two_thirds or full"
                ))
            })
    }
}

/// One pinned thing, where it sits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tile {
    #[serde(flatten)]
    pub shows: Shows,
    #[serde(default)]
    pub width: Width,
    /// A title of the pinner's own, instead of the section's or metrics' names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

impl Tile {
    /// Refuse a tile that could never show anything: an unknown report or metric, a period
    /// that is not one.
    pub fn check(&self) -> Result<(), ReportError> {
        match &self.shows {
            Shows::Section { report, .. } if !crate::NAMES.contains(&report.as_str()) => {
                Err(ReportError::Invalid(format!("no report '{report}' to pin")))
            }
            Shows::Section { .. } | Shows::Saved { .. } => Ok(()),
            Shows::Metrics {
                metrics,
                period,
                from,
                to,
                ..
            } => {
                if metrics.is_empty() {
                    return Err(ReportError::Invalid("pin at least one metric".into()));
                }
                if let Some(unknown) = metrics
                    .iter()
                    .find(|m| embudo_metrics::catalog::find(m).is_none())
                {
                    return Err(ReportError::Invalid(format!("no metric '{unknown}'")));
                }
                match (period, from, to) {
                    (Some(period), None, None) => period.parse::<Preset>().map(|_| ())?,
                    (None, Some(_), Some(_)) => {}
                    _ => {
                        return Err(ReportError::Invalid(
                            "a metrics tile has a period, or from and to".into(),
                        ));
                    }
                }
                Ok(())
            }
        }
    }

    /// The custom report a metrics tile runs as of `today` (a named period resolved).
    pub fn spec(&self, calendar: &Calendar, today: NaiveDate) -> Option<ReportSpec> {
        let Shows::Metrics {
            metrics,
            by,
            grain,
            filters,
            compare,
            period,
            from,
            to,
        } = &self.shows
        else {
            return None;
        };
        let (from, to) = match period.as_deref().map(str::parse::<Preset>) {
            Some(Ok(preset)) => {
                let (from, to) = preset.range(calendar, today);
                (from.to_string(), to.to_string())
            }
            _ => (from.clone()?, to.clone()?),
        };
        Some(ReportSpec {
            metrics: metrics.clone(),
            by: by.clone(),
            grain: grain.clone(),
            from,
            to,
            filters: filters.clone(),
            compare: compare.clone(),
        })
    }
}

/// A change to a dashboard's tiles, by the tile's place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrange {
    /// One place earlier.
    Up(usize),
    /// One place later.
    Down(usize),
    Resize(usize, Width),
    Remove(usize),
}

impl Arrange {
    /// `tiles` arranged so; a place past the end is refused.
    pub fn apply(self, tiles: &mut Vec<Tile>) -> Result<(), ReportError> {
        let place = match self {
            Arrange::Up(i) | Arrange::Down(i) | Arrange::Resize(i, _) | Arrange::Remove(i) => i,
        };
        if place >= tiles.len() {
            return Err(ReportError::NotFound(format!(
                "no tile {} on this dashboard",
                place + 1
            )));
        }
        let last = tiles.len() - 1;
        match self {
            Arrange::Up(i) => tiles.swap(i, i.saturating_sub(1)),
            Arrange::Down(i) => tiles.swap(i, (i + 1).min(last)),
            Arrange::Resize(i, width) => tiles[i].width = width,
            Arrange::Remove(i) => {
                tiles.remove(i);
            }
        }
        Ok(())
    }
}

/// A dashboard as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dashboard {
    pub id: i64,
    pub name: String,
    pub owner_id: i64,
    /// The owner's name.
    pub owner: String,
    /// `owner`, `team` or `company`.
    #[serde(serialize_with = "audience_name")]
    pub audience: Audience,
    /// The team's name, for a team's dashboard.
    pub team: Option<String>,
    pub tiles: Vec<Tile>,
}

fn audience_name<S: serde::Serializer>(audience: &Audience, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(stored(*audience).0)
}

impl Dashboard {
    /// Who it is shown to: `owner`, `team` or `company`.
    pub fn audience_name(&self) -> &'static str {
        stored(self.audience).0
    }

    /// Whether `caller` may pin to, arrange, rename, share and delete it.
    pub fn arrangeable_by(&self, caller: &Caller) -> bool {
        caller.may_arrange_dashboard(self.owner_id, self.audience)
    }
}

/// Who a dashboard is shown to, as asked: `owner`, `team` (the caller's own team, or the
/// team named), `company`.
pub fn audience(
    store: &Store,
    caller: &Caller,
    name: &str,
    team: Option<&str>,
) -> Result<Audience, ReportError> {
    let audience = match name {
        "owner" => Audience::Owner,
        "company" => Audience::Company,
        "team" => match team.filter(|t| !t.trim().is_empty()) {
            Some(team) => Audience::Team(team_id(store, team)?),
            None => Audience::Team(caller.team_id.ok_or_else(|| {
                ReportError::Invalid("you belong to no team to share it with".into())
            })?),
        },
        other => {
            return Err(ReportError::Invalid(format!(
                "no audience '{other}': owner, team or company"
            )));
        }
    };
    if caller.may_show_dashboard_to(audience) {
        Ok(audience)
    } else {
        Err(ReportError::Forbidden(match audience {
            Audience::Company => "only an admin shows a dashboard to the whole company".into(),
            _ => "only a member of a team (or an admin) shares a dashboard with it".into(),
        }))
    }
}

fn team_id(store: &Store, name: &str) -> Result<i64, ReportError> {
    store
        .id_named_any_case(Named::Teams, name.trim())?
        .ok_or_else(|| ReportError::Invalid(format!("no team '{name}'")))
}

/// A dashboard as the store holds it, its audience and tiles read.
fn read(row: StoredDashboard) -> Result<Dashboard, ReportError> {
    let id = row.id;
    let audience = match (row.audience.as_deref(), row.team_id) {
        (Some("team"), Some(team)) => Audience::Team(team),
        (Some("company"), _) => Audience::Company,
        _ => Audience::Owner,
    };
    let tiles = serde_json::from_str(row.tiles.as_deref().unwrap_or("[]"))
        .map_err(|e| ReportError::Invalid(format!("dashboard {id}'s tiles are damaged: {e}")))?;
    Ok(Dashboard {
        id,
        name: row.name,
        owner_id: row.owner_id,
        owner: row.owner,
        audience,
        team: row.team,
        tiles,
    })
}

/// The dashboards `caller` sees, by name.
pub fn list(store: &Store, caller: &Caller) -> Result<Vec<Dashboard>, ReportError> {
    let mut seen = Vec::new();
    for row in store.dashboards()? {
        let dashboard = read(row)?;
        if caller.may_see_dashboard(dashboard.owner_id, dashboard.audience) {
            seen.push(dashboard);
        }
    }
    Ok(seen)
}

/// Dashboard `id`, if `caller` sees it (one they may not see is as good as missing).
pub fn load(store: &Store, caller: &Caller, id: i64) -> Result<Dashboard, ReportError> {
    store
        .dashboard(id)?
        .map(read)
        .transpose()?
        .filter(|d| caller.may_see_dashboard(d.owner_id, d.audience))
        .ok_or_else(|| ReportError::NotFound(format!("no dashboard {id}")))
}

/// A new dashboard of `caller`'s, shown to `audience` (already allowed by [`audience`]),
/// with `tiles`; its id.
pub fn create(
    store: &Store,
    caller: &Caller,
    name: &str,
    audience: Audience,
    tiles: &[Tile],
    now: NaiveDateTime,
) -> Result<i64, ReportError> {
    let fields = fields(name, audience, tiles)?;
    Ok(store.insert_dashboard(caller.user_id, &fields, now)?)
}

/// What a change sets; `None` keeps the dashboard's own.
#[derive(Debug, Clone, Default)]
pub struct Change {
    pub name: Option<String>,
    pub audience: Option<Audience>,
    pub tiles: Option<Vec<Tile>>,
}

/// Change dashboard `id` as `caller`, who must be allowed to arrange it; the dashboard as
/// it now is.
pub fn update(
    store: &Store,
    caller: &Caller,
    id: i64,
    change: Change,
    now: NaiveDateTime,
) -> Result<Dashboard, ReportError> {
    let mut dashboard = arrangeable(store, caller, id)?;
    if let Some(name) = change.name {
        dashboard.name = checked_name(&name)?;
    }
    if let Some(tiles) = change.tiles {
        dashboard.tiles = tiles;
    }
    let shared = change.audience.filter(|a| *a != dashboard.audience);
    if let Some(audience) = shared {
        dashboard.audience = audience;
    }
    save(store, &dashboard, now)?;
    match shared {
        // Read again for the name of the team it is now shown to.
        Some(_) => load(store, caller, id),
        None => Ok(dashboard),
    }
}

/// Write `dashboard`'s name, audience and tiles, once the tiles are checked.
fn save(store: &Store, dashboard: &Dashboard, now: NaiveDateTime) -> Result<(), ReportError> {
    let fields = fields(&dashboard.name, dashboard.audience, &dashboard.tiles)?;
    Ok(store.update_dashboard(dashboard.id, &fields, now)?)
}

/// Pin `tile` at the end of dashboard `id`.
pub fn pin(
    store: &Store,
    caller: &Caller,
    id: i64,
    tile: Tile,
    now: NaiveDateTime,
) -> Result<Dashboard, ReportError> {
    retile(store, caller, id, now, |tiles| {
        tiles.push(tile);
        Ok(())
    })
}

/// Move, resize or remove one tile of dashboard `id`.
pub fn arrange(
    store: &Store,
    caller: &Caller,
    id: i64,
    how: Arrange,
    now: NaiveDateTime,
) -> Result<Dashboard, ReportError> {
    retile(store, caller, id, now, |tiles| how.apply(tiles))
}

/// Change the tiles of dashboard `id` as `change` does, if `caller` may arrange it.
fn retile(
    store: &Store,
    caller: &Caller,
    id: i64,
    now: NaiveDateTime,
    change: impl FnOnce(&mut Vec<Tile>) -> Result<(), ReportError>,
) -> Result<Dashboard, ReportError> {
    let mut dashboard = arrangeable(store, caller, id)?;
    change(&mut dashboard.tiles)?;
    save(store, &dashboard, now)?;
    Ok(dashboard)
}

/// Delete dashboard `id`.
pub fn delete(store: &Store, caller: &Caller, id: i64) -> Result<(), ReportError> {
    arrangeable(store, caller, id)?;
    Ok(store.delete_dashboard(id)?)
}

/// Dashboard `id` if `caller` may change it: missing if they cannot see it, refused if
/// they only see it.
fn arrangeable(store: &Store, caller: &Caller, id: i64) -> Result<Dashboard, ReportError> {
    let dashboard = load(store, caller, id)?;
    if dashboard.arrangeable_by(caller) {
        Ok(dashboard)
    } else {
        Err(ReportError::Forbidden(format!(
            "dashboard '{}' is {}'s: only they, an admin or the team's manager arrange it",
            dashboard.name, dashboard.owner
        )))
    }
}

fn checked_name(name: &str) -> Result<String, ReportError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(ReportError::Invalid(
            "a dashboard's name has 1 to 80 characters".into(),
        ));
    }
    Ok(name.to_owned())
}

/// The tiles as stored, once each is checked.
fn checked_tiles(tiles: &[Tile]) -> Result<String, ReportError> {
    if tiles.len() > MAX_TILES {
        return Err(ReportError::Invalid(format!(
            "a dashboard holds at most {MAX_TILES} tiles"
        )));
    }
    for tile in tiles {
        tile.check()?;
    }
    serde_json::to_string(tiles).map_err(|e| ReportError::Invalid(e.to_string()))
}

fn stored(audience: Audience) -> (&'static str, Option<i64>) {
    match audience {
        Audience::Owner => ("owner", None),
        Audience::Team(team) => ("team", Some(team)),
        Audience::Company => ("company", None),
    }
}

/// A dashboard's row: its name and tiles, once checked, and its audience.
fn fields(name: &str, audience: Audience, tiles: &[Tile]) -> Result<DashboardFields, ReportError> {
    let (audience, team_id) = stored(audience);
    Ok(DashboardFields {
        name: checked_name(name)?,
        audience,
        team_id,
        tiles: checked_tiles(tiles)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(name: &str) -> Tile {
        Tile {
            shows: Shows::Section {
                report: "pipeline".into(),
                section: name.into(),
                query: String::new(),
            },
            width: Width::Half,
            title: None,
        }
    }

    fn names(tiles: &[Tile]) -> Vec<&str> {
        tiles
            .iter()
            .map(|t| match &t.shows {
                Shows::Section { section, .. } => section.as_str(),
                _ => "",
            })
            .collect()
    }

    #[test]
    fn tiles_move_resize_and_go_by_place() {
        let mut tiles = vec![section("a"), section("b"), section("c")];
        Arrange::Up(2).apply(&mut tiles).unwrap();
        assert_eq!(names(&tiles), ["a", "c", "b"]);
        Arrange::Up(0).apply(&mut tiles).unwrap();
        assert_eq!(names(&tiles), ["a", "c", "b"]);
        Arrange::Down(2).apply(&mut tiles).unwrap();
        assert_eq!(names(&tiles), ["a", "c", "b"]);
        Arrange::Down(0).apply(&mut tiles).unwrap();
        assert_eq!(names(&tiles), ["c", "a", "b"]);
        Arrange::Resize(1, Width::Full).apply(&mut tiles).unwrap();
        assert_eq!(tiles[1].width, Width::Full);
        Arrange::Remove(0).apply(&mut tiles).unwrap();
        assert_eq!(names(&tiles), ["a", "b"]);
        assert!(matches!(
            Arrange::Remove(2).apply(&mut tiles),
            Err(ReportError::NotFound(_))
        ));
    }

    #[test]
    fn tiles_read_as_the_api_writes_them() {
        let tile: Tile = serde_json::from_str(
            r#"{"kind":"metrics","metrics":["revenue"],"grain":"month","period":"last_12_months","width":"full"}"#,
        )
        .unwrap();
        assert_eq!(tile.width, Width::Full);
        tile.check().unwrap();
        let unknown: Tile = serde_json::from_str(
            r#"{"kind":"metrics","metrics":["revenu"],"period":"last_month"}"#,
        )
        .unwrap();
        assert!(unknown.check().unwrap_err().to_string().contains("revenu"));
        let no_period: Tile =
            serde_json::from_str(r#"{"kind":"metrics","metrics":["revenue"]}"#).unwrap();
        assert!(no_period.check().is_err());
        let section: Tile =
            serde_json::from_str(r#"{"kind":"section","report":"pipelin","section":"by_stage"}"#)
                .unwrap();
        assert!(section.check().is_err());
    }
}
