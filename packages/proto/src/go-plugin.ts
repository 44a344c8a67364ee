/** HashiCorp go-plugin's infrastructure services, as one namespace. */
export { ConnInfo, GRPCBrokerService, GRPCBrokerClient } from './gen/plugin/grpc_broker.js'
export { Empty, GRPCControllerService, GRPCControllerClient } from './gen/plugin/grpc_controller.js'
export { StdioData, StdioData_Channel, GRPCStdioService, GRPCStdioClient } from './gen/plugin/grpc_stdio.js'
