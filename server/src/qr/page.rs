//! `GET /p/{token}`: the public page a phone camera opens from a building sticker, for people
//! without the app. It shows the building's address, its managing company with contacts, the
//! outages hitting the building now or planned, and a link to install the app. A token that does
//! not verify (forged, altered, truncated, signed by an unknown or retired key) gets a
//! "not a genuine sticker" page with a 4xx status. Every value from the store is HTML-escaped.

use axum::{
    extract::{Path, State},
    http::{HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Response},
};
use chrono::{DateTime, Utc};
use connect_core::{
    outages::{Outage, OutageKind, OutageState},
    property::{Building, ManagingCompany, UtilityKind},
    qr::{StickerError, verify_sticker_token},
};

use super::render::escape;
use crate::AppState;

const STYLE: &str = "body{margin:0;font:16px/1.45 system-ui,sans-serif;color:#1b1b1b;background:#f4f5f7}\
main{max-width:560px;margin:0 auto;padding:16px}\
h1{font-size:22px;margin:8px 0 4px}h2{font-size:17px;margin:20px 0 6px}\
.card{background:#fff;border-radius:10px;padding:12px 14px;margin:10px 0;box-shadow:0 1px 3px #0002}\
.muted{color:#5a5f66;font-size:14px}\
.outage{border-left:6px solid #c62828}.outage.planned{border-left-color:#ef6c00}\
.bad{border-left:6px solid #c62828}\
a.button{display:block;text-align:center;background:#1565c0;color:#fff;padding:12px;border-radius:10px;text-decoration:none;font-weight:600}";

/// The sticker page (HTML; also for refused tokens, with a 4xx status).
#[utoipa::path(get, path = "/p/{token}", tag = "qr",
    params(("token" = String, Path, description = "the signed sticker token")),
    responses((status = 200, description = "the building's public page (HTML)"),
        (status = 404, description = "not a genuine sticker, or the building is gone (HTML)")))]
pub async fn sticker_page(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let claims = match verify_sticker_token(&token, state.stickers.trust()) {
        Ok(claims) => claims,
        Err(error) => {
            // Expected: anyone can type a URL. Nothing of the token goes to the log.
            tracing::info!(%error, "sticker page: token refused");
            return html(
                StatusCode::NOT_FOUND,
                not_genuine(&error, &state.settings.app_url),
            );
        }
    };
    match building_page(&state, &claims.building_id).await {
        Ok(Some(body)) => html(StatusCode::OK, body),
        Ok(None) => html(
            StatusCode::NOT_FOUND,
            page(
                "Дом не найден",
                "<div class=\"card bad\"><h1>Этот дом больше не обслуживается через CommunityConnect</h1>\
                 <p>Наклейка подлинная, но дома с ней больше нет в системе. Обратитесь в управляющую компанию.</p></div>",
            ),
        ),
        Err(error) => {
            tracing::error!(%error, "sticker page: store failed");
            html(
                StatusCode::SERVICE_UNAVAILABLE,
                page(
                    "Временная ошибка",
                    "<div class=\"card bad\"><h1>Страница временно недоступна</h1><p>Попробуйте ещё раз через минуту.</p></div>",
                ),
            )
        }
    }
}

fn html(status: StatusCode, body: String) -> Response {
    let mut res = (status, Html(body)).into_response();
    let h = res.headers_mut();
    // Inline style only; no scripts, frames or outside resources.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; img-src 'self'"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=60"),
    );
    res
}

fn page(title: &str, content: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"ru\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title} — CommunityConnect</title>\n<style>{STYLE}</style>\n</head>\n\
         <body>\n<main>\n{content}\n</main>\n</body>\n</html>\n",
        title = escape(title)
    )
}

fn not_genuine(error: &StickerError, app_url: &str) -> String {
    let why = match error {
        StickerError::UnknownKey(_) => {
            "Наклейка подписана ключом, который больше не действует (или никогда не действовал). \
             Попросите управляющую компанию заменить наклейку."
        }
        StickerError::WrongVersion(_) => {
            "Наклейка выпущена в формате, который этот сервер не знает."
        }
        _ => "Код наклейки изменён или подделан: его подпись не сходится.",
    };
    page(
        "Не подлинная наклейка",
        &format!(
            "<div class=\"card bad\" id=\"not-genuine\"><h1>Это не подлинная наклейка CommunityConnect</h1>\
             <p>{why}</p><p class=\"muted\">This is not a genuine CommunityConnect sticker.</p></div>\
             <p>Возможно, наклейку подменили: сообщите об этом в управляющую компанию дома и не платите по реквизитам с такой наклейки.</p>\
             <a class=\"button\" href=\"{app}\">Установить приложение CommunityConnect</a>",
            why = escape(why),
            app = escape(app_url)
        ),
    )
}

async fn building_page(
    state: &AppState,
    id: &connect_core::ids::BuildingId,
) -> Result<Option<String>, crate::store::StoreError> {
    let Some(building) = state.store.building(id.clone()).await? else {
        return Ok(None);
    };
    let company = match &building.company_id {
        Some(c) => state.store.company(c.clone()).await?,
        None => None,
    };
    let now = Utc::now();
    let mut outages: Vec<Outage> = state
        .store
        .outages_for_buildings(vec![id.clone()], 0)
        .await?
        .into_iter()
        .filter(|o| o.state_at(now) != OutageState::Restored)
        .collect();
    outages.sort_by_key(|o| (o.state_at(now) != OutageState::AffectedNow, o.starts_at));
    Ok(Some(render_building(
        &building,
        company.as_ref(),
        &outages,
        now,
        &state.settings.app_url,
    )))
}

fn utility_name(u: UtilityKind) -> &'static str {
    match u {
        UtilityKind::ColdWater => "Холодная вода",
        UtilityKind::HotWater => "Горячая вода",
        UtilityKind::Electricity => "Электричество",
        UtilityKind::Heating => "Отопление",
        UtilityKind::Gas => "Газ",
    }
}

fn when(t: DateTime<Utc>) -> String {
    t.format("%d.%m.%Y %H:%M UTC").to_string()
}

/// The page of a genuine sticker (pure: tests render it directly).
pub fn render_building(
    building: &Building,
    company: Option<&ManagingCompany>,
    outages: &[Outage],
    now: DateTime<Utc>,
    app_url: &str,
) -> String {
    let mut c = String::new();
    c.push_str(&format!(
        "<div class=\"card\"><p class=\"muted\">Дом</p><h1 id=\"address\">{}</h1></div>",
        escape(&building.address)
    ));
    c.push_str("<h2>Управляющая компания</h2><div class=\"card\" id=\"company\">");
    match company {
        Some(co) => {
            c.push_str(&format!("<p><strong>{}</strong></p>", escape(&co.name)));
            if let Some(phone) = co.phone.as_deref().filter(|p| !p.trim().is_empty()) {
                let dial: String = phone
                    .chars()
                    .filter(|ch| ch.is_ascii_digit() || *ch == '+')
                    .collect();
                c.push_str(&format!(
                    "<p>Диспетчер: <a href=\"tel:{}\">{}</a></p>",
                    escape(&dial),
                    escape(phone)
                ));
            }
            if let Some(email) = co.email.as_deref().filter(|e| !e.trim().is_empty()) {
                c.push_str(&format!(
                    "<p>Почта: <a href=\"mailto:{e}\">{e}</a></p>",
                    e = escape(email)
                ));
            }
            if let Some(inn) = co.tax_id.as_deref().filter(|t| !t.trim().is_empty()) {
                c.push_str(&format!("<p class=\"muted\">ИНН {}</p>", escape(inn)));
            }
        }
        None => c.push_str("<p>Управляющая компания не указана.</p>"),
    }
    c.push_str("</div><h2>Отключения</h2><div id=\"outages\">");
    if outages.is_empty() {
        c.push_str(
            "<div class=\"card\"><p>Сейчас отключений нет и плановых работ не объявлено.</p></div>",
        );
    }
    for o in outages {
        let state = o.state_at(now);
        let (class, label) = match (state, o.kind) {
            (OutageState::AffectedNow, OutageKind::Emergency) => {
                ("outage", "Аварийное отключение сейчас")
            }
            (OutageState::AffectedNow, OutageKind::Planned) => {
                ("outage", "Плановое отключение сейчас")
            }
            _ => ("outage planned", "Запланировано"),
        };
        let mut period = format!("с {}", when(o.starts_at));
        if let Some(end) = o.expected_end_at {
            period.push_str(&format!(" до {} (ожидается)", when(end)));
        }
        c.push_str(&format!(
            "<div class=\"card {class}\"><p><strong>{}</strong> — {label}</p><p class=\"muted\">{}</p><p>{}</p></div>",
            utility_name(o.utility),
            escape(&period),
            escape(&o.description)
        ));
    }
    c.push_str("</div>");
    c.push_str(&format!(
        "<h2>Приложение</h2><div class=\"card\"><p>В приложении CommunityConnect можно передавать показания \
         счётчиков, сообщать о неисправностях и получать уведомления об отключениях.</p>\
         <a class=\"button\" id=\"install\" href=\"{}\">Установить приложение</a></div>",
        escape(app_url)
    ));
    page(&building.address, &c)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use chrono::Duration;
    use connect_core::ids::{BuildingId, CompanyId, OutageId, RegionId};

    use super::*;

    fn building(address: &str) -> Building {
        Building {
            id: BuildingId("B1".into()),
            address: address.into(),
            company_id: Some(CompanyId("X".into())),
            region_id: RegionId("R".into()),
            lat: 59.2,
            lon: 39.9,
        }
    }

    #[test]
    fn every_stored_value_is_escaped() {
        let evil = "<script>alert(1)</script>";
        let company = ManagingCompany {
            id: CompanyId("X".into()),
            name: format!("UK {evil}"),
            tax_id: Some(evil.into()),
            phone: Some(format!("+7 900\"{evil}")),
            email: Some(format!("a@b\"{evil}")),
            region_id: RegionId("R".into()),
        };
        let now = Utc::now();
        let outage = Outage {
            id: OutageId(uuid::Uuid::now_v7()),
            utility: UtilityKind::HotWater,
            kind: OutageKind::Emergency,
            starts_at: now - Duration::hours(1),
            expected_end_at: None,
            ended_at: None,
            building_ids: vec![BuildingId("B1".into())],
            description: evil.into(),
            updated_at: now,
        };
        let html = render_building(
            &building(&format!("ул. Мира, 1 {evil}")),
            Some(&company),
            &[outage],
            now,
            &format!("https://app.example/?a=1&b=\"{evil}"),
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("ул. Мира, 1"));
        assert!(html.contains("Аварийное отключение сейчас"));
        assert!(html.contains("https://app.example/?a=1&amp;b=&quot;"));
    }
}
