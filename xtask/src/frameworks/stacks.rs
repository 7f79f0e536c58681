//! The stacks of the scoreboard: each a real framework, pinned, with its app written the
//! way that framework's docs show (the apps are in `xtask/frameworks/{node,python,rust}`),
//! and how to start it.

use std::path::Path;
use std::process::Command;

/// The language an app is written in: where it lives and how it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Language {
    Node,
    Python,
    Rust,
}

/// One stack of the scoreboard.
#[derive(Debug, Clone, Copy)]
pub(super) struct Stack {
    /// The row's name, and its file in `xtask/frameworks/expected/`.
    pub(super) name: &'static str,
    /// The framework and its SSE support, with the pinned versions.
    pub(super) framework: &'static str,
    pub(super) language: Language,
    /// The app's file (Node, Python) or binary (Rust).
    pub(super) app: &'static str,
    /// Whether it serves the echo contract at `/echo` through its own encoder.
    pub(super) echo: bool,
}

pub(super) const STACKS: &[Stack] = &[
    Stack {
        name: "better-sse",
        framework: "better-sse 0.16.1 on Express 5.3.0",
        language: Language::Node,
        app: "better-sse.mjs",
        echo: true,
    },
    Stack {
        name: "hono",
        framework: "Hono 4.13.19 `streamSSE` on @hono/node-server 2.1.8",
        language: Language::Node,
        app: "hono.mjs",
        echo: true,
    },
    Stack {
        name: "fastify",
        framework: "Fastify 5.12.8 with @fastify/sse 0.6.0",
        language: Language::Node,
        app: "fastify.mjs",
        echo: true,
    },
    Stack {
        name: "node-http",
        framework: "plain `node:http` (Node 20), as MDN writes it",
        language: Language::Node,
        app: "node-http.mjs",
        echo: true,
    },
    Stack {
        name: "express-compression",
        framework: "Express 5.3.0 with `compression` 1.8.2 and a naive handler",
        language: Language::Node,
        app: "express-compression.mjs",
        echo: false,
    },
    Stack {
        name: "aiohttp-sse",
        framework: "aiohttp 3.14.5 with aiohttp-sse 3.0",
        language: Language::Python,
        app: "aiohttp_sse_app.py",
        echo: true,
    },
    Stack {
        name: "fastapi",
        framework: "FastAPI 0.163.2 `fastapi.sse` on uvicorn 0.54.0",
        language: Language::Python,
        app: "fastapi_app.py",
        echo: true,
    },
    Stack {
        name: "sse-starlette",
        framework: "sse-starlette 3.7.0 on Starlette 1.10.0, uvicorn 0.54.0",
        language: Language::Python,
        app: "sse_starlette_app.py",
        echo: true,
    },
    Stack {
        name: "flask",
        framework: "Flask 3.1.3 streaming, on its threaded server",
        language: Language::Python,
        app: "flask_app.py",
        echo: true,
    },
    Stack {
        name: "axum",
        framework: "axum 0.8.9 `Sse`",
        language: Language::Rust,
        app: "axum",
        echo: true,
    },
    Stack {
        name: "warp",
        framework: "warp 0.4.3 `sse`",
        language: Language::Rust,
        app: "warp",
        echo: true,
    },
    Stack {
        name: "actix-web-lab",
        framework: "actix-web 4.18.1 with actix-web-lab 0.29.5 `sse`",
        language: Language::Rust,
        app: "actix",
        echo: true,
    },
    Stack {
        name: "poem",
        framework: "poem 3.1.12 `web::sse`",
        language: Language::Rust,
        app: "poem",
        echo: true,
    },
];

impl Stack {
    /// The command that starts the app on `port` (`PORT` in its environment).
    pub(super) fn command(
        &self,
        root: &Path,
        python: &Path,
        rust_bins: &Path,
        port: u16,
    ) -> Command {
        let apps = root.join("xtask/frameworks");
        let mut command = match self.language {
            Language::Node => {
                let mut command = Command::new("node");
                command.arg(self.app).current_dir(apps.join("node"));
                command
            }
            Language::Python => {
                let mut command = Command::new(python);
                command.arg(self.app).current_dir(apps.join("python"));
                command
            }
            Language::Rust => Command::new(rust_bins.join(self.app)),
        };
        command.env("PORT", port.to_string());
        command
    }
}
