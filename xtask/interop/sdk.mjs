// The official `openai` and `@anthropic-ai/sdk` Node SDKs against the demo's vendor
// endpoints (`/v1/chat/completions`, `/v1/responses`, `/v1/messages`), pointed at it by
// base URL only: each reads the text, the finish reason and the usage, and an in-band
// failure (`X-Demo-Fail-After`) surfaces the way the SDK reports one.
// Env: DEMO (http://127.0.0.1:P). Prints one JSON line per case: {client, case, ok, saw}.

import { readFileSync } from 'node:fs';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { run } from './cases.mjs';

const { DEMO } = process.env;
const version = (name) => JSON.parse(readFileSync(new URL(`./node_modules/${name}/package.json`, import.meta.url))).version;
const OPENAI = `openai ${version('openai')} (node ${process.versions.node})`;
const ANTHROPIC = `@anthropic-ai/sdk ${version('@anthropic-ai/sdk')} (node ${process.versions.node})`;
const PROMPT = 'stream me a reply';
const EXPECTED = `You said: ${PROMPT}\nThis reply streams one token at a time, the way a language model answers.`;
// The demo's tokens are words: its answer's pieces, and the prompt's words.
const PROMPT_TOKENS = PROMPT.split(/\s+/).length;
const ANSWER_TOKENS = EXPECTED.split(' ').length;
const FAIL = { headers: { 'X-Demo-Fail-After': '3' } };

const openai = new OpenAI({ baseURL: `${DEMO}/v1`, apiKey: 'demo', maxRetries: 0, timeout: 10000 });
const anthropic = new Anthropic({ baseURL: DEMO, apiKey: 'demo', maxRetries: 0, timeout: 10000 });
const messages = [{ role: 'user', content: PROMPT }];

await run(OPENAI, 'chat.completions stream: text, finish_reason, include_usage', async () => {
  const stream = await openai.chat.completions.create({
    model: 'demo-model', messages, stream: true, stream_options: { include_usage: true },
  });
  let text = '';
  let finish = null;
  let usage = null;
  for await (const chunk of stream) {
    for (const choice of chunk.choices) {
      text += choice.delta.content ?? '';
      finish = choice.finish_reason ?? finish;
    }
    usage = chunk.usage ?? usage;
  }
  const ok = text === EXPECTED && finish === 'stop' && usage?.prompt_tokens === PROMPT_TOKENS
    && usage?.completion_tokens === ANSWER_TOKENS && usage?.total_tokens === PROMPT_TOKENS + ANSWER_TOKENS;
  return { ok, saw: `${text.length} chars, finish_reason ${finish}, usage ${JSON.stringify(usage)}` };
});

await run(OPENAI, 'chat.completions: an in-band error throws', async () => {
  const stream = await openai.chat.completions.create({ model: 'demo-model', messages, stream: true }, FAIL);
  let text = '';
  try {
    for await (const chunk of stream) {
      for (const choice of chunk.choices) text += choice.delta.content ?? '';
    }
  } catch (error) {
    return { ok: error instanceof OpenAI.APIError && /went away/.test(error.message) && text.length > 0, saw: `${error.constructor.name} after ${text.length} chars: ${error.message}` };
  }
  return { ok: false, saw: `no error thrown; ${text.length} chars` };
});

await run(OPENAI, 'responses stream: text, response.completed, usage', async () => {
  const stream = await openai.responses.create({ model: 'demo-model', input: PROMPT, stream: true });
  let text = '';
  let completed = null;
  for await (const event of stream) {
    if (event.type === 'response.output_text.delta') text += event.delta;
    if (event.type === 'response.completed') completed = event.response;
  }
  const usage = completed?.usage;
  const ok = text === EXPECTED && completed?.status === 'completed' && usage?.input_tokens === PROMPT_TOKENS
    && usage?.output_tokens === ANSWER_TOKENS && usage?.total_tokens === PROMPT_TOKENS + ANSWER_TOKENS;
  return { ok, saw: `${text.length} chars, status ${completed?.status}, usage in ${usage?.input_tokens} out ${usage?.output_tokens}` };
});

await run(OPENAI, 'responses: an in-band error is error + response.failed', async () => {
  const stream = await openai.responses.create({ model: 'demo-model', input: PROMPT, stream: true }, FAIL);
  const seen = [];
  try {
    for await (const event of stream) {
      seen.push(event.type);
      if (event.type === 'response.failed') {
        const message = event.response.error?.message ?? '';
        return { ok: /went away/.test(message) && seen.includes('error'), saw: `events …${seen.slice(-2).join(', ')}, response.failed with ${JSON.stringify(message)}` };
      }
    }
  } catch (error) {
    return { ok: /went away/.test(error.message), saw: `${error.constructor.name} after ${seen.slice(-1)}: ${error.message}` };
  }
  return { ok: false, saw: `no failure reported: ${seen.slice(-3).join(', ')}` };
});

await run(ANTHROPIC, 'messages.stream: text, stop_reason, usage', async () => {
  const stream = anthropic.messages.stream({ model: 'demo-model', max_tokens: 256, messages });
  let text = '';
  stream.on('text', (piece) => { text += piece; });
  const final = await stream.finalMessage();
  const ok = text === EXPECTED && final.content[0]?.text === EXPECTED && final.stop_reason === 'end_turn'
    && final.usage.input_tokens === PROMPT_TOKENS && final.usage.output_tokens === ANSWER_TOKENS;
  return { ok, saw: `${text.length} chars, stop_reason ${final.stop_reason}, usage in ${final.usage.input_tokens} out ${final.usage.output_tokens}` };
});

await run(ANTHROPIC, 'messages: an in-band error throws', async () => {
  const stream = await anthropic.messages.create({ model: 'demo-model', max_tokens: 256, messages, stream: true }, FAIL);
  let text = '';
  try {
    for await (const event of stream) {
      if (event.type === 'content_block_delta') text += event.delta.text ?? '';
    }
  } catch (error) {
    return { ok: error instanceof Anthropic.APIError && /went away/.test(error.message) && text.length > 0, saw: `${error.constructor.name} after ${text.length} chars: ${error.message}` };
  }
  return { ok: false, saw: `no error thrown; ${text.length} chars` };
});
