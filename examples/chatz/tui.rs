//! The chatz terminal UI: who is here, the conversation with times, an input line.

use super::client::{ChatClient, Event};
use super::clock;
use ratatui::crossterm::event::{self, Event as TermEvent, KeyCode, KeyEventKind, KeyModifiers};
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, List, ListItem, Paragraph, Wrap};
use ratatui::Frame;
use std::process::ExitCode;
use std::time::Duration;

struct View {
    lines: Vec<(String, String, String)>,
    status: String,
    /// Why the server is silent, while it is.
    warning: Option<String>,
    input: String,
}

pub fn run(mut client: ChatClient) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let mut terminal = ratatui::init();
    let result = (|| -> Result<(), Box<dyn std::error::Error>> {
        let mut view = View {
            lines: Vec::new(),
            status: "connecting...".into(),
            warning: None,
            input: String::new(),
        };
        loop {
            for ev in client.step(Duration::from_millis(30))? {
                let now = clock::local_hms(clock::now_epoch());
                match ev {
                    Event::Broadcast { handle, message } => view.lines.push((now, handle, message)),
                    Event::Users(_) => {}
                    Event::ServerUp { .. } => view.status = "connected".into(),
                    Event::ServerGone => view.status = "server not answering, retrying...".into(),
                    Event::Silent(diagnosis) => view.warning = Some(diagnosis),
                    Event::Unconfirmed(post) => view.lines.push((
                        now,
                        "(not confirmed)".into(),
                        format!("the server took {post:?} but it never came back on the feed"),
                    )),
                }
            }
            if !client.is_silent() {
                view.warning = None;
            }
            if view.lines.len() > 1000 {
                view.lines.drain(..500);
            }
            terminal.draw(|f| draw(f, &client, &view))?;
            while event::poll(Duration::ZERO)? {
                let TermEvent::Key(key) = event::read()? else {
                    continue;
                };
                if key.kind != KeyEventKind::Press {
                    continue;
                }
                match key.code {
                    KeyCode::Esc => return Ok(()),
                    KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                        return Ok(())
                    }
                    KeyCode::Enter if !view.input.trim().is_empty() => {
                        client.post(&view.input);
                        view.input.clear();
                    }
                    KeyCode::Backspace => {
                        view.input.pop();
                    }
                    KeyCode::Char(c) => view.input.push(c),
                    _ => {}
                }
            }
        }
    })();
    ratatui::restore();
    result.map(|()| ExitCode::SUCCESS)
}

fn draw(f: &mut Frame, client: &ChatClient, view: &View) {
    let [main, input, status] = Layout::vertical([
        Constraint::Min(3),
        Constraint::Length(3),
        Constraint::Length(2),
    ])
    .areas(f.area());
    let [users_area, talk_area] =
        Layout::horizontal([Constraint::Length(22), Constraint::Min(10)]).areas(main);

    let users: Vec<ListItem> = client
        .users()
        .iter()
        .map(|u| {
            let style = if u == client.handle() {
                Style::new().add_modifier(Modifier::BOLD).fg(Color::Cyan)
            } else {
                Style::new()
            };
            ListItem::new(Span::styled(u.clone(), style))
        })
        .collect();
    f.render_widget(
        List::new(users).block(Block::bordered().title(" here ")),
        users_area,
    );

    let mut lines: Vec<Line> = Vec::new();
    for (time, handle, message) in &view.lines {
        for (i, part) in message.split('\n').enumerate() {
            let head = if i == 0 {
                format!("{handle}: ")
            } else {
                " ".repeat(handle.chars().count() + 2)
            };
            lines.push(Line::from(vec![
                Span::styled(format!("{time} "), Style::new().fg(Color::DarkGray)),
                Span::styled(head, Style::new().fg(Color::Yellow)),
                Span::raw(part.to_owned()),
            ]));
        }
    }
    let visible = usize::from(talk_area.height.saturating_sub(2));
    let skip = lines.len().saturating_sub(visible);
    let talk = Paragraph::new(lines.split_off(skip))
        .wrap(Wrap { trim: false })
        .block(Block::bordered().title(" conversation "));
    f.render_widget(talk, talk_area);

    let prompt = Paragraph::new(format!("{}> {}", client.handle(), view.input))
        .block(Block::bordered().title(" Enter: send · Esc: quit "));
    f.render_widget(prompt, input);
    let color = if client.online() == Some(false) || view.warning.is_some() {
        Color::Red
    } else {
        Color::Green
    };
    let text = view.warning.as_deref().unwrap_or(&view.status);
    f.render_widget(
        Paragraph::new(format!(" {text} · {} pending", client.pending()))
            .wrap(Wrap { trim: true })
            .style(Style::new().fg(color)),
        status,
    );
}
