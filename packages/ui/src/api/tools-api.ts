import type { ToolCallAnswer, ToolCallBody, ToolCreateBody, ToolItem } from '@plugboard/studio/api-types'
import { apiRequest } from './client'
import type { Page } from './page'

const id = (value: string) => encodeURIComponent(value)

/** The tool calls of the admin API: tools imported from OpenAPI documents, and calling one of their operations. */
export const toolsApi = {
  tools: () => apiRequest<Page<ToolItem>>('/tools?limit=200'),
  tool: (slug: string) => apiRequest<ToolItem>(`/tools/${id(slug)}`),
  /** Imports the document: Studio answers the tool with the operations it found, or TOOL_SPEC_INVALID saying why it cannot. */
  createTool: (body: ToolCreateBody) => apiRequest<ToolItem>('/tools', { method: 'POST', body }),
  deleteTool: (slug: string) => apiRequest<void>(`/tools/${id(slug)}`, { method: 'DELETE' }),
  /** The tool server's status and body, whatever they are; the call itself failing is TOOL_CALL_FAILED. */
  execute: (slug: string, operationId: string, body: ToolCallBody) => apiRequest<ToolCallAnswer>(`/tools/${id(slug)}/operations/${id(operationId)}/execute`, { method: 'POST', body }),
}
