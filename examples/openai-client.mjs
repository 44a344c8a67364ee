// Calls the running gateway (`npm start`) with the official openai client:
// one completion and one streamed completion, through the example plugins.
import OpenAI from 'openai'

const client = new OpenAI({
  baseURL: `http://127.0.0.1:${process.env.PLUGBOARD_PORT ?? 8080}/v1`,
  apiKey: process.env.PLUGBOARD_DEMO_KEY ?? 'pb-demo-key-0123456789',
})

const { data: completion, response } = await client.chat.completions
  .create({ model: 'mock-gpt', messages: [{ role: 'user', content: 'Hello from the openai client, mail me at ada@example.com' }] })
  .withResponse()
console.log(`completion (request ${response.headers.get('x-request-id')}):\n  ${completion.choices[0].message.content}`)
console.log(`  usage: ${JSON.stringify(completion.usage)}`)

const stream = await client.chat.completions.create({ model: 'mock-gpt', messages: [{ role: 'user', content: 'Now stream it' }], stream: true })
process.stdout.write('stream:\n  ')
for await (const chunk of stream) process.stdout.write(chunk.choices[0]?.delta?.content ?? '')
process.stdout.write('\n')
